// Package diskerr tells a full disk, a folder without write permission
// and a read-only file system apart from damaged data, and says which
// environment variable moves the folder (FASTGO_HOME, FASTGO_DATA,
// FASTGO_CACHE_DIR): what fastgo's downloads, extractions and saved
// learners say when they cannot write.
package diskerr
