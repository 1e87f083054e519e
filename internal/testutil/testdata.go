package testutil

import (
	"path/filepath"
	"runtime"
)

// Testdata is the path of a file or folder under the repository's
// testdata/, from any package's tests.
func Testdata(elem ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), "..", "..", "testdata"}, elem...)...)
}
