package fastgo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// The values in these Examples and tests are fastai's and fastcore's own
// (their notebooks' test_eq lines: 01_basics/foundation for coll_repr,
// 05_data.transforms for CategoryMap, Categorize, GrandparentSplitter and
// get_files), so the output pins fastai's behaviour, not fastgo's.

func ExampleCollRepr() {
	r1000 := make([]int, 1000)
	for i := range r1000 {
		r1000[i] = i
	}
	fmt.Println(fastgo.CollRepr(r1000, 10)) // coll_repr(range(1000))
	fmt.Println(fastgo.CollRepr(r1000, 5))
	fmt.Println(fastgo.CollRepr(r1000[:10], 5))
	fmt.Println(fastgo.CollRepr(r1000[:5], 5))
	// fastcore's L(range(12)), reversed, with t[3,5] = ("j","k").
	fmt.Println(fastgo.CollRepr([]any{11, 10, 9, "j", 7, "k", 5, 4, 3, 2, 1, 0}, 10))
	// Output:
	// (#1000) [0,1,2,3,4,5,6,7,8,9...]
	// (#1000) [0,1,2,3,4...]
	// (#10) [0,1,2,3,4...]
	// (#5) [0,1,2,3,4]
	// (#12) [11,10,9,'j',7,'k',5,4,3,2...]
}

func ExampleCategoryMap() {
	t, _ := fastgo.CategoryMap([]string{"4", "2", "3", "4"}, true, false)
	fmt.Println(t)
	i, _ := t.Index("3")
	fmt.Println(i, t.At(0))
	_, err := t.Index("unseen label")
	fmt.Println(err)
	// sort=False keeps the order of first appearance.
	t, _ = fastgo.CategoryMap([]string{"4", "2", "3", "4"}, false, false)
	fmt.Println(t)
	// Output:
	// (#3) ['2','3','4']
	// 1 2
	// Label 'unseen label' was not included in the training dataset
	// (#3) ['4','2','3']
}

func ExampleCategoryMap_addNA() {
	t, _ := fastgo.CategoryMap([]string{"4", "2", "3", "4"}, true, true)
	fmt.Println(t)
	for _, label := range []string{"#na#", "2", "3", "4", "unseen label"} {
		i, err := t.Index(label)
		fmt.Print(label, ":", i, " ", err, "; ")
	}
	fmt.Println()
	// Output:
	// (#4) ['#na#','2','3','4']
	// #na#:0 <nil>; 2:1 <nil>; 3:2 <nil>; 4:3 <nil>; unseen label:0 <nil>;
}

func ExampleCategorize_addNA() {
	// Categorize(add_na=True) set up on ['cat', 'dog', 'cat'].
	v, _ := (&fastgo.Categorize{AddNA: true}).Setup([]string{"cat", "dog", "cat"})
	i, _ := v.Index("cat")
	fmt.Println(v, i, v.At(2))
	// Categorize(vocab=['dog', 'cat'], sort=False, add_na=True).
	c := &fastgo.Categorize{Vocab: []string{"dog", "cat"}, AddNA: true}
	v, _ = c.Setup(nil)
	i, _ = v.Index("dog")
	fmt.Println(v, i, v.At(2))
	fmt.Println(c.Name())
	// Output:
	// (#3) ['#na#','cat','dog'] 1 dog
	// (#3) ['#na#','dog','cat'] 1 cat
	// Categorize -- {'vocab': ['dog', 'cat'], 'sort': False, 'add_na': True}
}

// mnistNames are the file names of fastai's GrandparentSplitter test.
var mnistNames = fastgo.L[fastgo.Path]{"train/3/9932.png", "valid/7/7189.png",
	"valid/7/7320.png", "train/7/9833.png",
	"train/3/7666.png", "valid/3/925.png",
	"train/7/724.png", "valid/3/93055.png"}

func ExampleGrandparentSplitter() {
	train, valid, _ := fastgo.GrandparentSplitter("train", "valid")(mnistNames)
	fmt.Println(train, valid)
	// Output: [0 3 4 6] [1 2 5 7]
}

func ExampleGrandparentSplitterNames() {
	items := append(slices.Clone(mnistNames), "test/3/4256.png", "test/7/2345.png", "valid/7/6467.png")
	// GrandparentSplitter(train_name=('train', 'valid'), valid_name='test')
	train, valid, _ := fastgo.GrandparentSplitterNames([]string{"train", "valid"}, []string{"test"})(items)
	fmt.Println(train, valid)
	// Output: [0 3 4 6 1 2 5 7 10] [8 9]
}

func TestGrandparentSplitterOtherNames(t *testing.T) {
	// Other folder names, and the same name for both sets (both get the item).
	items := fastgo.L[fastgo.Path]{"/d/training/a/1.jpg", "/d/validation/a/2.jpg", "/d/training/b/3.jpg", "/d/other/b/4.jpg"}
	train, valid, err := fastgo.GrandparentSplitter("training", "validation")(items)
	if err != nil || !slices.Equal(train, []int{0, 2}) || !slices.Equal(valid, []int{1}) {
		t.Errorf("training/validation: %v %v %v", train, valid, err)
	}
	train, valid, _ = fastgo.GrandparentSplitter("training", "training")(items)
	if !slices.Equal(train, []int{0, 2}) || !slices.Equal(valid, []int{0, 2}) {
		t.Errorf("same name: %v %v", train, valid)
	}
	if _, _, err := fastgo.GrandparentSplitterNames([]string{"train", "trn"}, nil)(items); err == nil {
		t.Error("no training item: no error")
	} else if want := "'train' or 'trn'"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the folders (%s)", err, want)
	}
}

// mnistTiny writes a small copy of fastai's mnist_tiny layout (empty
// files): train/3, train/7, valid/3, valid/7, test, labels.csv at the top,
// plus a hidden folder and a hidden file.
func mnistTiny(t *testing.T) fastgo.Path {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"train/3/9932.png", "train/3/7666.png", "train/7/9833.png", "train/7/724.png", "train/7/7446.png",
		"valid/3/925.png", "valid/7/7189.png", "test/1503.png", "labels.csv", "top.png", ".git/x.png", "train/.hidden.png",
		"train/3/notes.jpg", ".cache/3/1.png"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return fastgo.Path(dir)
}

func relNames(t *testing.T, root fastgo.Path, files fastgo.L[fastgo.Path], err error) []string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, p := range files {
		r, _ := filepath.Rel(string(root), string(p))
		out = append(out, filepath.ToSlash(r))
	}
	return out
}

// TestFileGetterFastaiRelations replays 05_data.transforms' get_files and
// FileGetter tests on a copy of mnist_tiny's layout, then checks each
// option's exact result.
func TestFileGetterFastaiRelations(t *testing.T) {
	path := mnistTiny(t)
	png := fastgo.Extensions(".png")
	get := func(suf string, opts ...fastgo.FilesOption) []string {
		files, err := fastgo.FileGetter(suf, opts...)(path)
		return relNames(t, path, files, err)
	}
	t3 := get("train/3", png, fastgo.Recurse(false))
	t7 := get("train/7", png, fastgo.Recurse(false))
	tAll := get("train", png, fastgo.Recurse(true))
	if len(tAll) != len(t3)+len(t7) || len(tAll) != 5 {
		t.Errorf("len(t)=%d, len(t3)+len(t7)=%d+%d, want 5", len(tAll), len(t3), len(t7))
	}
	if n := len(get("train/3", fastgo.Extensions(".jpg", ".JPEG"), fastgo.Recurse(false))); n != 1 {
		t.Errorf("train/3 .jpg, no recursion: %d files, want 1 (notes.jpg)", n)
	}
	if got := get("", png, fastgo.Folders("train")); !slices.Equal(got, tAll) {
		t.Errorf("folders='train': %v, want %v", got, tAll)
	}
	images, err := fastgo.ImageGetter("", fastgo.Folders("train"))(path)
	if got := relNames(t, path, images, err); len(got) != 6 { // the 5 PNGs and notes.jpg
		t.Errorf("get_image_files(folders='train') = %v", got)
	}
	// get_files(path/'train', '.png', folders='3') == ImageGetter('train', folders='3')(path), minus the JPEG.
	want := []string{"train/3/7666.png", "train/3/9932.png"}
	if got := get("train", png, fastgo.Folders("3")); !slices.Equal(got, want) {
		t.Errorf("train, folders='3': %v, want %v", got, want)
	}
	// The top folder's own files only with '.'; a hidden folder when named.
	if got := get("", png, fastgo.Folders(".", "test")); !slices.Equal(got, []string{"test/1503.png", "top.png"}) {
		t.Errorf("folders=['.', 'test']: %v", got)
	}
	if got := get("", png, fastgo.Folders(".cache")); !slices.Equal(got, []string{".cache/3/1.png"}) {
		t.Errorf("folders=['.cache']: %v", got)
	}
	// No recursion: only the top files, Folders ignored (as fastai).
	if got := get("", fastgo.Recurse(false), fastgo.Folders("train")); !slices.Equal(got, []string{"labels.csv", "top.png"}) {
		t.Errorf("recurse=False: %v", got)
	}
	// The defaults are GetFiles'.
	all, err := fastgo.GetFiles(path)
	if got := get(""); !slices.Equal(got, relNames(t, path, all, err)) {
		t.Errorf("FileGetter(\"\") = %v, GetFiles = %v", got, relNames(t, path, all, err))
	}
	if _, err := fastgo.FileGetter("missing")(path); err == nil {
		t.Error("a missing folder: no error")
	}
}

func ExampleFileGetter() {
	// A folder laid out like fastai's mnist_tiny, written here for the example.
	dir, _ := os.MkdirTemp("", "mnist_tiny")
	defer os.RemoveAll(dir)
	for _, f := range []string{"train/3/9932.png", "train/7/9833.png", "valid/3/925.png", "labels.csv"} {
		_ = os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		_ = os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	fastgo.SetBasePath(fastgo.Path(dir))
	defer fastgo.SetBasePath("")
	trainPNGs, _ := fastgo.FileGetter("", fastgo.Extensions(".png"), fastgo.Folders("train"))(fastgo.Path(dir))
	top, _ := fastgo.FileGetter("", fastgo.Recurse(false))(fastgo.Path(dir))
	fmt.Println(trainPNGs)
	fmt.Println(top)
	// Output:
	// (#2) [Path('train/3/9932.png'),Path('train/7/9833.png')]
	// (#1) [Path('labels.csv')]
}

// FuzzCategoryMap: any labels give a vocab whose indices and names
// round-trip, sorted and unique, with '#na#' first when asked and unknown
// labels mapped to it.
func FuzzCategoryMap(f *testing.F) {
	f.Add("cat,dog,cat", true, true)
	f.Add("#na#,b", false, true)
	f.Add("", true, false)
	f.Fuzz(func(t *testing.T, joined string, sort, addNA bool) {
		labels := strings.Split(joined, ",")
		v, err := fastgo.CategoryMap(labels, sort, addNA)
		if err != nil {
			if !addNA || !slices.Contains(labels, fastgo.NA) {
				t.Fatalf("CategoryMap(%q): %v", labels, err)
			}
			return
		}
		names := v.Items()
		if addNA {
			if names[0] != fastgo.NA || !v.HasNA() {
				t.Fatalf("add_na vocab %v does not start with #na#", names)
			}
			names = names[1:]
		}
		if sort && !slices.IsSorted(names) {
			t.Errorf("sorted vocab %v is not sorted", names)
		}
		for _, l := range labels {
			i, err := v.Index(l)
			if err != nil || v.At(i) != l {
				t.Errorf("label %q: index %d (%v), At = %q", l, i, err, v.At(i))
			}
		}
		if slices.Contains(labels, "\x00unseen") {
			return
		}
		i, err := v.Index("\x00unseen")
		if addNA != (err == nil) || (addNA && i != 0) {
			t.Errorf("unknown label: %d, %v (addNA %v)", i, err, addNA)
		}
	})
}
