package main

import (
	"strings"
	"testing"
)

// TestServeRefusesHugeMaxBatch: -max-batch sizes the warm-up batch, so a
// typo such as -max-batch 100000 (15 GB of 224-pixel images before the
// first forward pass) is refused before the model is loaded.
func TestServeRefusesHugeMaxBatch(t *testing.T) {
	var stdout, stderr strings.Builder
	if got := run([]string{"serve", "-max-batch", "100000", "no-such-model.learner"}, &stdout, &stderr); got != 2 {
		t.Fatalf("exit status %d, want 2; stderr %q", got, stderr.String())
	}
	if !strings.Contains(stderr.String(), "-max-batch 100000 is over 1024") {
		t.Errorf("stderr %q, want the flag and its limit named", stderr.String())
	}
}
