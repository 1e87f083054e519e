package fastai_test

import (
	"errors"
	"fmt"

	"github.com/fastgo-ml/fastgo/fastgo/vision/models/fastai"
)

// What a learn.export() file says about its model (a tiny test model: a
// ResNet34 whose stem is 1 channel wide, trained with aug_transforms).
func ExampleReadExport() {
	e, err := fastai.ReadExport("../../../../testdata/fastai/resnet34_aug.pkl")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Model.Arch, e.Model.Head, e.Model.Classes, "classes:", e.Vocab)
	for _, t := range e.ItemTfms {
		fmt.Printf("item  %s %+v\n", t.FastaiName(), t)
	}
	for _, t := range e.BatchTfms {
		fmt.Printf("batch %s %+v\n", t.FastaiName(), t)
	}
	// Output:
	// resnet34-w1 head(hidden 512) 3 classes: [Abyssinian Bengal pug]
	// item  Resize {Size:48 Method:crop PadMode:reflection}
	// batch IntToFloatTensor {Div:255}
	// batch aug_transforms {Size:32 MinScale:0.75 DoFlip:true MaxRotate:10 MinZoom:1 MaxZoom:1.1 MaxLighting:0.2 MaxWarp:0.2 PAffine:0.75 PLighting:0.75}
	// batch Normalize {Mean:[0.485 0.456 0.406] Std:[0.229 0.224 0.225]}
}

// A learner fastgo cannot reproduce is refused with the class that says why.
func ExampleUnsupportedError() {
	_, err := fastai.ReadExport("../../../../testdata/fastai/refuse_y_range.pkl")
	var u *fastai.UnsupportedError
	if errors.As(err, &u) {
		fmt.Println(u.Where, u.Class)
	}
	// Output:
	// model[1][9] fastai.layers.SigmoidRange
}
