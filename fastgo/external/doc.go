// Package external gets the datasets fastai's examples use: fastai's
// fastai.data.external. [UntarData] returns a dataset's folder,
// downloading and extracting it the first time; [URLs] lists fastai's
// datasets with their real addresses; [Download] fetches any file with
// resume and verification (pretrained weights use it too).
//
//	path, err := external.UntarData(external.URLs.Pets) // ~/.fastgo/data/oxford-iiit-pet
//	fastgo.SetBasePath(path)
//
// Where things go: archives in Home()/archive, datasets in [DataDir]
// ($FASTGO_DATA, else ~/.fastgo/data), so a dataset copied there by hand
// (an offline machine, a Docker volume, a test harness) is used without
// a download. A download shows display's progress bar, in fastai's
// format, on the progress writer (default: the cell's or program's
// standard output).
//
// Invariants: a download never leaves a partial file under its final name
// (it goes through a .part file, resumed on the next call); extraction is
// atomic and confined to its folder (no entry lands outside it, by name or
// through links); an archive that fails fastai's size and checksum check,
// or its own integrity checks, is deleted and nothing is extracted.
//
// Errors name the URL or file and say what to do (offline: where to put
// the archive or the extracted folder by hand). MustUntarData panics with
// the same message, for notebook cells.
package external
