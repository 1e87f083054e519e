package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
)

// TestCommittedCheckpointIsReproducible pins testdata/weights/tiny_resnet.pth
// to this generator with its default flags.
func TestCommittedCheckpointIsReproducible(t *testing.T) {
	got, err := Checkpoint(models.ResNet18.Scaled(4), 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "weights", "tiny_resnet.pth"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("generated checkpoint (%d bytes) differs from the committed one (%d bytes): regenerate it with go run ./internal/cmd/gencheckpoint", len(got), len(want))
	}
}

// TestCheckpointReadsBack reads generated checkpoints, zip and legacy, with
// fastgo's reader.
func TestCheckpointReadsBack(t *testing.T) {
	arch := models.ResNet50.Scaled(1)
	data, err := Checkpoint(arch, 3, 9)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("zip", func(t *testing.T) { checkReadsBack(t, arch, data) })
	t.Run("legacy", func(t *testing.T) { checkReadsBack(t, arch, LegacyCheckpoint(arch, 3, 9)) })
}

func checkReadsBack(t *testing.T, arch models.Arch, data []byte) {
	p := filepath.Join(t.TempDir(), "c.pth")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sd, keys, err := models.ReadStateDict(p)
	if err != nil {
		t.Fatal(err)
	}
	entries := StateDict(arch, 3, 9)
	if len(keys) != len(entries) {
		t.Fatalf("%d keys read, %d written", len(keys), len(entries))
	}
	for i, e := range entries {
		if keys[i] != e.key || (e.f32 != nil && !slices.Equal(sd[e.key].Data, e.f32)) {
			t.Fatalf("entry %d: read %q, wrote %q (or values differ)", i, keys[i], e.key)
		}
	}
}
