package fastbook

import (
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
)

func TestPetsDataBlock(t *testing.T) {
	db, err := PetsDataBlock(40, 32)
	if err != nil {
		t.Fatal(err)
	}
	dls, err := db.DataLoaders("../../testdata/images", fastgo.WithBatchSize(2))
	if err != nil {
		t.Fatal(err)
	}
	if n := dls.Vocab.Len(); n != 8 {
		t.Errorf("%d breeds in the bundled images' training set, want 8", n)
	}
	if tr, va := dls.Train.Dataset.Len(), dls.Valid.Dataset.Len(); tr+va != 9 || va != 1 {
		t.Errorf("split %d/%d, want 9 images with 1 (int(0.2×9)) for validation (RandomSplitter(0.2, 42))", tr, va)
	}
	if _, err := PetsDataBlock(40, -1); err == nil {
		t.Error("a negative size was accepted")
	}
}
