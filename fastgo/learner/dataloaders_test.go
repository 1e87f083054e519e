package learner

import (
	"fmt"
	"hash/fnv"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// quadImage is a synthetic 8×8 image whose bright quadrant is its class
// (named in the item: "<class>_<n>.img").
type quadImage struct {
	class int
	seed  uint32
}

func (quadImage) Describe() string   { return "quad 8x8" }
func (quadImage) TensorShape() []int { return []int{3, 8, 8} }

// quadBlock is an InputBlock of quadImages, so fastgo's real DataBlock →
// DataLoaders machinery feeds the learner without decoding files.
type quadBlock struct{}

func (quadBlock) Name() string { return "quad.create" }

func (quadBlock) Create(item fastgo.Path) (fastgo.Value, error) {
	var c int
	if _, err := fmt.Sscanf(item.Name(), "q%d_", &c); err != nil {
		return nil, fmt.Errorf("item %s: %v", item, err)
	}
	h := fnv.New32a()
	h.Write([]byte(item))
	return quadImage{class: c, seed: h.Sum32()}, nil
}

func (quadBlock) Collate(values []fastgo.Value) (fastgo.ByteTensor, error) {
	out := fastgo.ByteTensor{Shape: []int{len(values), 8, 8, 3}}
	for _, v := range values {
		q := v.(quadImage)
		s := q.seed
		oy, ox := (q.class/2)*4, (q.class%2)*4
		for y := range 8 {
			for x := range 8 {
				for range 3 {
					s = s*1664525 + 1013904223
					val := uint8(s >> 26) // 0..63 noise
					if y >= oy && y < oy+4 && x >= ox && x < ox+4 {
						val += 180
					}
					out.Data = append(out.Data, val)
				}
			}
		}
	}
	return out, nil
}

func TestTrainsOnFastgoDataLoaders(t *testing.T) {
	var items fastgo.L[fastgo.Path]
	for i := range 160 {
		items = append(items, fastgo.Path(fmt.Sprintf("/data/q%d_%d.img", i%4, i)))
	}
	db := fastgo.DataBlock{
		Blocks:   fastgo.Blocks{X: quadBlock{}},
		GetItems: func(fastgo.Path) (fastgo.L[fastgo.Path], error) { return items, nil },
		Splitter: fastgo.RandomSplitter(0.2, 42),
		GetY: func(p fastgo.Path) (string, error) {
			return strings.SplitN(p.Name(), "_", 2)[0], nil
		},
	}
	dls, err := db.DataLoaders("/data", fastgo.WithBatchSize(16), fastgo.WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	data := FromDataLoaders(dls)
	if got := strings.Join(data.Vocab, ","); got != "q0,q1,q2,q3" {
		t.Fatalf("vocab %q", got)
	}
	l, err := New(data, tinyModel(4), WithBackend(testBackend()), Metrics(Accuracy))
	if err != nil {
		t.Fatal(err)
	}
	l.Quiet = true
	if err := l.FitOneCycle(3, 1e-2); err != nil {
		t.Fatal(err)
	}
	if acc := l.Recorder.Rows[2].Metrics[0]; acc < 0.9 {
		t.Errorf("accuracy %.3f after 3 epochs on separable data", acc)
	}
	p, err := l.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) != 32 {
		t.Fatalf("%d predictions for a valid set of 32", len(p.Targets))
	}
	for i, y := range p.Targets { // dataset order: labels as the items say
		if want := dls.Valid.Dataset.Items[i].Name()[1] - '0'; y != int(want) {
			t.Errorf("target %d = %d, item %s", i, y, dls.Valid.Dataset.Items[i])
		}
	}
}
