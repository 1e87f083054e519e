package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// tinyArch is the architecture of testdata/weights/tiny_resnet.pth (made by
// internal/cmd/gencheckpoint).
var tinyArch = ResNet18.Scaled(4)

func tinyCheckpoint(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "weights", "tiny_resnet.pth")
}

func TestReadStateDictTiny(t *testing.T) {
	sd, keys, err := ReadStateDict(tinyCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	if keys[0] != "conv1.weight" || keys[len(keys)-1] != "fc.bias" {
		t.Errorf("keys run from %q to %q, want conv1.weight … fc.bias", keys[0], keys[len(keys)-1])
	}
	if got := sd["layer2.0.downsample.0.weight"].Shape; !slices.Equal(got, []int{8, 4, 1, 1}) {
		t.Errorf("layer2.0.downsample.0.weight shape %v, want [8 4 1 1]", got)
	}
	if nbt := sd["bn1.num_batches_tracked"]; nbt.Data != nil || len(nbt.Shape) != 0 {
		t.Errorf("bn1.num_batches_tracked = %+v, want an integer scalar without float data", nbt)
	}
	specs := tinyArch.StateDict()
	// 20 BN layers in resnet18 (1 stem + 16 in blocks + 3 downsample) each add a counter; fc adds 2.
	if want := len(specs) + 20 + 2; len(keys) != want {
		t.Errorf("%d keys, want %d", len(keys), want)
	}
}

func TestLoadWeightsFileTinyMatchesReference(t *testing.T) {
	store := model.NewStore()
	report, err := LoadWeightsFile(store.RootScope().In(BodyScope), tinyArch, tinyCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	if report.Tensors != len(tinyArch.StateDict()) || len(report.Skipped) != 22 {
		t.Errorf("report %+v: want %d tensors and 22 skipped", report, len(tinyArch.StateDict()))
	}
	if !strings.Contains(report.String(), "skipped 2 fc.* and 20 num_batches_tracked") {
		t.Errorf("report.String() = %q", report.String())
	}
	if v := store.GetVariable("/body/layer1/0/bn1/running_var"); v == nil || v.Trainable {
		t.Errorf("running_var variable %v: want it present and not trainable", v)
	}

	const size = 32
	rng := rand.New(rand.NewPCG(5, 5))
	x := make([]float32, 2*size*size*3)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	got := model.MustCallOnce(modelTestBackend(), store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		return tinyArch.Body(scope.In(BodyScope), x, false)
	}, tensors.FromFlatDataAndDimensions(x, 2, size, size, 3))
	if want := []int{2, 1, 1, tinyArch.NumFeatures()}; !slices.Equal(got.Shape().Dimensions, want) {
		t.Fatalf("body output %s, want %v", got.Shape(), want)
	}
	sd, _, err := ReadStateDict(tinyCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	gotFlat := tensors.MustCopyFlatData[float32](got)
	for b := range 2 {
		img := refTensor{h: size, w: size, c: 3, d: make([]float64, size*size*3)}
		for i := range img.d {
			img.d[i] = float64(x[b*size*size*3+i])
		}
		want := refBody(sd, tinyArch, img)
		for i, v := range want.d {
			g := float64(gotFlat[b*len(want.d)+i])
			if math.Abs(g-v) > 1e-3*(1+math.Abs(v)) {
				t.Fatalf("image %d feature %d = %g, float64 reference %g", b, i, g, v)
			}
		}
	}
}

func TestAssignStateDictRejectsMismatches(t *testing.T) {
	sd, keys, err := ReadStateDict(tinyCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, want string
		edit       func(map[string]StateTensor, []string) []string
	}{
		{"missing", "missing layer3.1.bn2.running_var", func(sd map[string]StateTensor, k []string) []string {
			delete(sd, "layer3.1.bn2.running_var")
			return slices.DeleteFunc(k, func(s string) bool { return s == "layer3.1.bn2.running_var" })
		}},
		{"shape", "layer1.0.conv1.weight has shape [4 4 3 1]", func(sd map[string]StateTensor, k []string) []string {
			st := sd["layer1.0.conv1.weight"]
			st.Shape = []int{4, 4, 3, 1}
			sd["layer1.0.conv1.weight"] = st
			return k
		}},
		{"unexpected", "unexpected layer5.0.conv1.weight", func(sd map[string]StateTensor, k []string) []string {
			sd["layer5.0.conv1.weight"] = sd["conv1.weight"]
			return append(k, "layer5.0.conv1.weight")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sd2 := make(map[string]StateTensor, len(sd))
			for k, v := range sd {
				sd2[k] = v
			}
			keys2 := c.edit(sd2, slices.Clone(keys))
			store := model.NewStore()
			_, err := AssignStateDict(store.RootScope().In(BodyScope), tinyArch, sd2, keys2)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if store.NumVariables() != 0 {
				t.Errorf("%d variables created despite the error", store.NumVariables())
			}
		})
	}
	// The real arch does not accept the tiny file.
	if _, err := AssignStateDict(model.NewStore().RootScope(), ResNet18, sd, keys); err == nil ||
		!strings.Contains(err.Error(), "conv1.weight has shape [4 3 7 7], want [64 3 7 7]") {
		t.Errorf("loading tiny weights as resnet18: %v", err)
	}
}

func TestReadStateDictRejectsNonCheckpoints(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"empty.pth": "", "text.pth": "not a checkpoint", "pickle.pth": "\x80\x02K\x01."} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ReadStateDict(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
}

func FuzzReadStateDict(f *testing.F) {
	seed, err := os.ReadFile(tinyCheckpoint(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed[:4096])
	f.Add([]byte("\x80\x02}q\x00."))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.pth")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, _ = ReadStateDict(p) // must return, not panic
	})
}

// refTensor is one HWC image in float64, for the reference forward pass.
type refTensor struct {
	h, w, c int
	d       []float64
}

func (r refTensor) at(y, x, ch int) float64 { return r.d[(y*r.w+x)*r.c+ch] }

// refBody is the body's eval-mode forward pass written directly from
// torchvision's definition, reading the state dict by its keys (OIHW).
func refBody(sd map[string]StateTensor, arch Arch, x refTensor) refTensor {
	conv := func(key string, x refTensor, stride, pad int) refTensor {
		w := sd[key+".weight"]
		o, in, k := w.Shape[0], w.Shape[1], w.Shape[2]
		ho, wo := (x.h+2*pad-k)/stride+1, (x.w+2*pad-k)/stride+1
		out := refTensor{h: ho, w: wo, c: o, d: make([]float64, ho*wo*o)}
		for y := range ho {
			for xx := range wo {
				for oc := range o {
					var s float64
					for i := range in {
						for ky := range k {
							for kx := range k {
								iy, ix := y*stride-pad+ky, xx*stride-pad+kx
								if iy < 0 || ix < 0 || iy >= x.h || ix >= x.w {
									continue
								}
								s += float64(w.Data[((oc*in+i)*k+ky)*k+kx]) * x.at(iy, ix, i)
							}
						}
					}
					out.d[(y*wo+xx)*o+oc] = s
				}
			}
		}
		return out
	}
	bn := func(key string, x refTensor) refTensor {
		g, b, m, v := sd[key+".weight"].Data, sd[key+".bias"].Data, sd[key+".running_mean"].Data, sd[key+".running_var"].Data
		out := refTensor{h: x.h, w: x.w, c: x.c, d: make([]float64, len(x.d))}
		for i, val := range x.d {
			ch := i % x.c
			out.d[i] = (val-float64(m[ch]))/math.Sqrt(float64(v[ch])+1e-5)*float64(g[ch]) + float64(b[ch])
		}
		return out
	}
	relu := func(x refTensor) refTensor {
		for i, v := range x.d {
			x.d[i] = math.Max(v, 0)
		}
		return x
	}
	x = relu(bn("bn1", conv("conv1", x, 2, 3)))
	// maxpool 3x3/2 pad 1
	ho, wo := (x.h-1)/2+1, (x.w-1)/2+1
	mp := refTensor{h: ho, w: wo, c: x.c, d: make([]float64, ho*wo*x.c)}
	for y := range ho {
		for xx := range wo {
			for ch := range x.c {
				m := math.Inf(-1)
				for ky := range 3 {
					for kx := range 3 {
						iy, ix := 2*y-1+ky, 2*xx-1+kx
						if iy >= 0 && ix >= 0 && iy < x.h && ix < x.w {
							m = math.Max(m, x.at(iy, ix, ch))
						}
					}
				}
				mp.d[(y*wo+xx)*x.c+ch] = m
			}
		}
	}
	x = mp
	for s, n := range arch.layers {
		for i := range n {
			p := "layer" + string(rune('1'+s)) + "." + string(rune('0'+i)) + "."
			stride := 1
			if i == 0 && s > 0 {
				stride = 2
			}
			y := relu(bn(p+"bn1", conv(p+"conv1", x, stride, 1)))
			y = bn(p+"bn2", conv(p+"conv2", y, 1, 1))
			identity := x
			if _, ok := sd[p+"downsample.0.weight"]; ok {
				identity = bn(p+"downsample.1", conv(p+"downsample.0", x, stride, 0))
			}
			for j := range y.d {
				y.d[j] += identity.d[j]
			}
			x = relu(y)
		}
	}
	return x
}

func ExampleLoadWeightsFile() {
	// A narrow resnet18 and its checkpoint, written by internal/cmd/gencheckpoint;
	// LoadPretrained(scope, ResNet34, PretrainedOptions{}) does the same with
	// torchvision's file, downloaded once to ModelsDir().
	arch := ResNet18.Scaled(4)
	store := model.NewStore()
	report, err := LoadWeightsFile(store.RootScope().In(BodyScope), arch, "../../../testdata/weights/tiny_resnet.pth")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(report.Tensors, "tensors,", len(report.Skipped), "skipped")
	fmt.Println(store.GetVariable("/body/layer1/0/conv1/weight").Shape())
	// Output:
	// 100 tensors, 22 skipped
	// (Float32)[4, 3, 3, 4]
}
