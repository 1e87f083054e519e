package external_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/external"
)

// The book's path = untar_data(URLs.PETS), against a local server that
// serves a two-image archive (a real call is
// external.UntarData(external.URLs.Pets)): the first call downloads and
// extracts it, the second finds the folder and does not touch the network.
func ExampleUntarData() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(petsArchive())
	}))
	defer srv.Close()
	data, err := os.MkdirTemp("", "untar-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(data)

	path, err := external.UntarData(srv.URL+"/pets.tgz", external.WithDest(fastgo.Path(data)), external.WithProgress(nil))
	if err != nil {
		fmt.Println(err)
		return
	}
	fastgo.SetBasePath(path) // the book's Path.BASE_PATH = path
	defer fastgo.SetBasePath("")
	fmt.Println(path.Name(), path.Join("images").MustLs())
	srv.Close() // offline from here on
	again, err := external.UntarData(srv.URL+"/pets.tgz", external.WithDest(fastgo.Path(data)), external.WithProgress(nil))
	fmt.Println(again == path, err)
	// Output:
	// pets (#2) [Path('images/Abyssinian_1.jpg'),Path('images/pug_166.jpg')]
	// true <nil>
}

// petsArchive is pets.tgz: pets/images/ with two (empty) pictures.
func petsArchive() []byte {
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, name := range []string{"pets/images/Abyssinian_1.jpg", "pets/images/pug_166.jpg"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg})
	}
	tw.Close()
	gz.Close()
	return b.Bytes()
}
