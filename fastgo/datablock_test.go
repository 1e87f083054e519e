package fastgo_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/external"
)

func TestRegexLabellerErrors(t *testing.T) {
	tests := []struct {
		pattern, item, want string
	}{
		{`(.+)_\d+.jpg$`, "images/Birman_12.png", `Failed to find "(.+)_\d+.jpg$" in "images/Birman_12.png"`},
		{`(.+_\d+.jpg$`, "images/Birman_12.jpg", `invalid pattern`},
		{`.+_\d+.jpg$`, "images/Birman_12.jpg", `no capture group`},
		{`(x)?Birman`, "images/Birman_12.jpg", `first group took no part`},
	}
	for _, tc := range tests {
		_, err := fastgo.RegexLabeller(tc.pattern)(fastgo.Path(tc.item))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RegexLabeller(%q)(%q) error = %v, want it to contain %q", tc.pattern, tc.item, err, tc.want)
		}
	}
	// search, not match: the pattern may start anywhere in the path.
	got, err := fastgo.RegexLabeller(`images/([a-z]+)`)("/data/pets/images/beagle_3.jpg")
	if err != nil || got != "beagle" {
		t.Errorf("search semantics: got %q, %v; want beagle", got, err)
	}
	if got, _ := fastgo.ParentLabel("train/cats/1.jpg"); got != "cats" {
		t.Errorf("ParentLabel = %q, want cats", got)
	}
}

func TestSplitters(t *testing.T) {
	items, _ := petNames(7390)("images")
	train, valid, err := fastgo.RandomSplitter(0.2, 42)(items)
	if err != nil {
		t.Fatal(err)
	}
	all := append(slices.Clone(train), valid...)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("train+valid is not a partition of 0..N-1 (position %d holds %d)", i, v)
		}
	}
	train2, valid2, _ := fastgo.RandomSplitter(0.2, 42)(items)
	_, valid3, _ := fastgo.RandomSplitter(0.2, 43)(items)
	if !slices.Equal(train, train2) || !slices.Equal(valid, valid2) {
		t.Error("same seed gave a different split")
	}
	if slices.Equal(valid, valid3) {
		t.Error("another seed gave the same split")
	}
	if _, _, err := fastgo.RandomSplitter(1.5, 0)(items); err == nil {
		t.Error("validPct 1.5 accepted")
	}

	gp := fastgo.L[fastgo.Path]{"mnist/train/3/a.png", "mnist/valid/7/b.png", "mnist/test/3/c.png", "mnist/train/7/d.png"}
	train, valid, err = fastgo.GrandparentSplitter("train", "valid")(gp)
	if err != nil || !slices.Equal(train, []int{0, 3}) || !slices.Equal(valid, []int{1}) {
		t.Errorf("GrandparentSplitter = %v, %v, %v; want [0 3] [1]", train, valid, err)
	}
	if _, _, err := fastgo.GrandparentSplitter("training", "valid")(gp); err == nil {
		t.Error("GrandparentSplitter with no training folder: no error")
	}
	train, valid, _ = fastgo.FuncSplitter(func(p fastgo.Path) bool { return strings.Contains(string(p), "valid") })(gp)
	if !slices.Equal(train, []int{0, 2, 3}) || !slices.Equal(valid, []int{1}) {
		t.Errorf("FuncSplitter = %v, %v", train, valid)
	}
}

func TestVocab(t *testing.T) {
	ds, err := petsBlock(7390).Datasets("images")
	if err != nil {
		t.Fatal(err)
	}
	v := ds.Vocab
	if v.Len() != 37 || v.At(0) != "Abyssinian" || v.At(11) != "Sphynx" || v.At(12) != "american_bulldog" || v.At(36) != "yorkshire_terrier" {
		t.Errorf("vocab = %v", v)
	}
	if i, err := v.Index("american_pit_bull_terrier"); err != nil || i != 13 {
		t.Errorf("Index(american_pit_bull_terrier) = %d, %v; want 13", i, err)
	}
	if _, err := v.Index("unicorn"); err == nil || err.Error() != "Label 'unicorn' was not included in the training dataset" {
		t.Errorf("unknown label error = %v", err)
	}
	for i, label := range ds.Valid.Labels {
		if v.At(ds.Valid.Y[i]) != label {
			t.Fatalf("valid item %d: label %q but class %d (%s)", i, label, ds.Valid.Y[i], v.At(ds.Valid.Y[i]))
		}
	}
	if _, err := fastgo.NewVocab([]string{"a", "b", "a"}); err == nil {
		t.Error("NewVocab accepted a duplicate")
	}
}

func TestLabelOnlyInValidation(t *testing.T) {
	db := petsBlock(0)
	db.GetItems = func(fastgo.Path) (fastgo.L[fastgo.Path], error) {
		return fastgo.L[fastgo.Path]{"a/cat_1.jpg", "a/cat_2.jpg", "a/dog_1.jpg"}, nil
	}
	db.Splitter = fastgo.FuncSplitter(func(p fastgo.Path) bool { return p.Name() == "dog_1.jpg" })
	_, err := db.Datasets("a")
	if err == nil || !strings.Contains(err.Error(), "Label 'dog' was not included in the training dataset") ||
		!strings.Contains(err.Error(), "dog_1.jpg") {
		t.Errorf("error = %v; want fastai's message naming the item", err)
	}
	db.Blocks.Y = &fastgo.Categorize{Vocab: []string{"dog", "cat"}}
	ds, err := db.Datasets("a")
	if err != nil || ds.Valid.Y[0] != 0 || ds.Train.Y[0] != 1 {
		t.Errorf("fixed vocab: %v, %v", ds, err)
	}
	// add_na: the unseen validation label is the '#na#' class, 0.
	db.Blocks.Y = &fastgo.Categorize{AddNA: true}
	ds, err = db.Datasets("a")
	if err != nil || ds.Vocab.String() != "(#2) ['#na#','cat']" || ds.Valid.Y[0] != 0 || ds.Train.Y[0] != 1 {
		t.Errorf("AddNA: vocab %v, valid %v, train %v, %v", ds.Vocab, ds.Valid.Y, ds.Train.Y, err)
	}
}

func TestDataBlockErrors(t *testing.T) {
	db := petsBlock(10)
	db.GetY = nil
	if _, err := db.DataLoaders("x"); err == nil || !strings.Contains(err.Error(), "GetY") {
		t.Errorf("missing GetY: %v", err)
	}
	db = petsBlock(0)
	if _, err := db.DataLoaders("x"); err == nil || !strings.Contains(err.Error(), "no items") {
		t.Errorf("no items: %v", err)
	}
	db = petsBlock(10)
	db.GetItems = fastgo.GetImageFiles
	if _, err := db.DataLoaders("/does/not/exist"); err == nil || !strings.Contains(err.Error(), "/does/not/exist") {
		t.Errorf("missing folder: %v", err)
	}
}

// The raw Summary text keeps fastai's blank lines and trailing space,
// which the Example cannot show.
func TestSummaryLayout(t *testing.T) {
	var out bytes.Buffer
	err := petsBlock(100).SummaryTo(&out, "images")
	var ce *fastgo.CollateError
	if !errors.As(err, &ce) || len(ce.Shapes) != 4 {
		t.Fatalf("err = %v, want a CollateError with 4 shapes", err)
	}
	for _, want := range []string{"\n\nFinal sample: (PILImage", "))\n\n\nSetting up after_item", "before_batch: Pipeline: \n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

func TestGetImageFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b/z.JPG", "b/a.png", "a.jpeg", "notes.txt", ".hidden.jpg", ".cache/x.jpg", "c/d/e.webp", "c/readme"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A link back up the tree must not loop; a link to a folder is followed.
	if err := os.Symlink("..", filepath.Join(dir, "c", "up")); err != nil {
		t.Fatal(err)
	}
	got, err := fastgo.GetImageFiles(fastgo.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, p := range got {
		r, _ := filepath.Rel(dir, string(p))
		rel = append(rel, filepath.ToSlash(r))
	}
	want := []string{"a.jpeg", "b/a.png", "b/z.JPG", "c/d/e.webp"}
	if !slices.Equal(rel, want) {
		t.Errorf("GetImageFiles = %v, want %v", rel, want)
	}
	if _, err := fastgo.GetImageFiles(fastgo.Path(filepath.Join(dir, "a.jpeg"))); err == nil {
		t.Error("GetImageFiles on a file: no error")
	}
}

func TestPath(t *testing.T) {
	p := fastgo.Path("/data/pets/images/great_pyrenees_173.jpg")
	if p.Name() != "great_pyrenees_173.jpg" || p.Stem() != "great_pyrenees_173" || p.Suffix() != ".jpg" ||
		p.Parent() != "/data/pets/images" || p.Parent().Join("x", "y.png") != "/data/pets/images/x/y.png" {
		t.Errorf("Path helpers wrong for %s", p)
	}
	fastgo.SetBasePath("/data/pets")
	defer fastgo.SetBasePath("")
	for path, want := range map[fastgo.Path]string{
		p:             "Path('images/great_pyrenees_173.jpg')",
		"/data/pets":  "Path('.')",
		"/data/other": "Path('/data/other')",
		"/data/petsx": "Path('/data/petsx')",
		"/data/it's":  `Path("/data/it's")`,
	} {
		if got := path.String(); got != want {
			t.Errorf("%q.String() = %s, want %s", string(path), got, want)
		}
	}
}

func TestL(t *testing.T) {
	l := fastgo.L[string]{"b", "a", "c", "a"}
	if got := fastgo.Sorted(fastgo.Unique(l)); !slices.Equal(got, fastgo.L[string]{"a", "b", "c"}) {
		t.Errorf("Sorted(Unique) = %v", got)
	}
	if fastgo.Index(l, "c") != 2 || fastgo.Index(l, "z") != -1 || l.At(-1) != "a" {
		t.Error("Index/At wrong")
	}
	if got := l.Select([]int{2, -1}); !slices.Equal(got, fastgo.L[string]{"c", "a"}) {
		t.Errorf("Select = %v", got)
	}
	if got := fastgo.Map(l, strings.ToUpper).Filter(func(s string) bool { return s != "A" }); got.String() != "(#2) ['B','C']" {
		t.Errorf("Map/Filter = %s", got)
	}
	if got := (fastgo.L[bool]{true, false}).String(); got != "(#2) [True,False]" {
		t.Errorf("bool L = %s", got)
	}
}

func FuzzRegexLabeller(f *testing.F) {
	for _, s := range []string{"images/great_pyrenees_173.jpg", "/a/b/Abyssinian_1.jpg", "x.jpg", "_1.jpg", "a\\b_2.jpg", "\xff_3.jpg", ""} {
		f.Add(s)
	}
	label := fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`))
	f.Fuzz(func(t *testing.T, s string) {
		got, err := label(fastgo.Path(s))
		name := filepath.Base(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), `Failed to find "(.+)_\d+.jpg$" in "`) {
				t.Errorf("error for %q: %v", s, err)
			}
			return
		}
		if got == "" || !strings.HasPrefix(name, got+"_") || !strings.HasSuffix(name, "jpg") {
			t.Errorf("label(%q) = %q: not the name's part before _<digits>.jpg", s, got)
		}
	})
}

// The real sample: file listing, labels and split, without decoding.
func TestPetSampleItems(t *testing.T) {
	src := filepath.Join("..", "..", "shared", "data", "oxford-iiit-pet-sample")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("pet sample not found at %s (the repository's ../shared/data): %v", src, err)
	}
	path, err := external.UntarData(src)
	if err != nil || path != fastgo.Path(src) {
		t.Fatalf("UntarData(local folder) = %s, %v", path, err)
	}
	db := petsBlock(0)
	db.GetItems = fastgo.GetImageFiles
	ds, err := db.Datasets(path.Join("images"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Items) != 739 || ds.Train.Len() != 592 || ds.Valid.Len() != 147 {
		t.Errorf("%d items split %d/%d, want 739 split 592/147", len(ds.Items), ds.Train.Len(), ds.Valid.Len())
	}
	if ds.Vocab.Len() != 37 || ds.Vocab.At(0) != "Abyssinian" || ds.Vocab.At(13) != "american_pit_bull_terrier" {
		t.Errorf("vocab = %v", ds.Vocab)
	}
}

// TestEmptyTrainingSetSaysSo: RandomSplitter(1.0) puts every item in
// validation; the error once was "Label 'cat' was not included in the
// training dataset", which hides the cause.
func TestEmptyTrainingSetSaysSo(t *testing.T) {
	db := petsBlock(10)
	db.Splitter = fastgo.RandomSplitter(1.0, 42)
	_, err := db.DataLoaders("images")
	if err == nil || !strings.Contains(err.Error(), "the training set is empty") ||
		!strings.Contains(err.Error(), "all 10 items") || !strings.Contains(err.Error(), "RandomSplitter(0.2") {
		t.Errorf("err = %v; want the empty training set named, with the counts and the fix", err)
	}
}

// TestUnlabellableItemNamed: a file the regex cannot label (a .png among
// .jpg files) is named with its full path, after fastai's message, with
// what to do.
func TestUnlabellableItemNamed(t *testing.T) {
	db := petsBlock(0)
	db.GetItems = func(fastgo.Path) (fastgo.L[fastgo.Path], error) {
		return fastgo.L[fastgo.Path]{"/data/pets/images/Abyssinian_1.jpg", "/data/pets/images/Bengal_3.png"}, nil
	}
	db.Splitter = fastgo.FuncSplitter(func(fastgo.Path) bool { return false })
	_, err := db.DataLoaders("/data/pets/images")
	if err == nil {
		t.Fatal("no error for an unlabellable item")
	}
	msg := err.Error()
	for _, want := range []string{`Failed to find "(.+)_\d+.jpg$" in "Bengal_3.png"`, "/data/pets/images/Bengal_3.png", "fix the pattern", "filter the items"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not say %q:\n%s", want, msg)
		}
	}
	if !strings.HasPrefix(msg, "Failed to find") {
		t.Errorf("fastai's words must come first: %q", msg)
	}
}

// TestEmptyValidationWarns: 4 items with RandomSplitter(0.2) leave no
// validation item (int(0.8) = 0): DataLoaders says so.
func TestEmptyValidationWarns(t *testing.T) {
	var w bytes.Buffer
	old := fastgo.Warnings
	fastgo.Warnings = &w
	defer func() { fastgo.Warnings = old }()
	if _, err := petsBlock(4, fakeResize{size: 2}).DataLoaders("images"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.String(), "the validation set of") || !strings.Contains(w.String(), "is empty") ||
		!strings.Contains(w.String(), "None") {
		t.Errorf("warning = %q; want one saying the validation set is empty and metrics will show None", w.String())
	}
	if !strings.Contains(w.String(), "has 4 items, fewer than one batch of 64") || !strings.Contains(w.String(), "WithBatchSize(4)") {
		t.Errorf("warning = %q; want one saying 4 training items make no batch of 64, with the fix", w.String())
	}
	w.Reset()
	if _, err := petsBlock(370, fakeResize{size: 2}).DataLoaders("images"); err != nil || w.Len() != 0 {
		t.Errorf("370 items: warned %q (%v)", w.String(), err)
	}
}

// A dataset whose images are half dangling links (git-annex content not
// fetched) is listed without them, and GetImageFiles says how many, names
// one and what they mean; before, training went on with half the data and
// no word.
func TestGetImageFilesSaysDanglingLinks(t *testing.T) {
	dir := t.TempDir()
	images := filepath.Join(dir, "images")
	if err := os.MkdirAll(images, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := os.WriteFile(filepath.Join(images, fmt.Sprintf("cat_%d.jpg", i)), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		target := fmt.Sprintf("../.git/annex/objects/Xk/%d/SHA256E-s1234--%d.jpg", i, i)
		if err := os.Symlink(target, filepath.Join(images, fmt.Sprintf("dog_%d.jpg", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("nowhere", filepath.Join(images, "notes.txt")); err != nil {
		t.Fatal(err) // not an image: not counted
	}
	var said bytes.Buffer
	defer fastgo.SetNotes(&said)()
	got, err := fastgo.GetImageFiles(fastgo.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Errorf("GetImageFiles = %v, want the 4 files that exist", got)
	}
	for _, want := range []string{"4 of the 8 files", "dog_0.jpg → ../.git/annex/objects/", "git annex get", "dvc pull", "VerifyImages"} {
		if !strings.Contains(said.String(), want) {
			t.Errorf("GetImageFiles said %q\nwant it to say %q", said.String(), want)
		}
	}
	said.Reset()
	if _, err := fastgo.GetImageFiles(fastgo.Path(filepath.Join(dir, "images"))); err != nil || !strings.Contains(said.String(), "4 of the 8") {
		t.Errorf("listing the images folder itself: said %q (%v)", said.String(), err)
	}
}
