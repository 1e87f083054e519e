package learner

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
)

// W5 (trial 1): metrics given twice ended with the last list only. They
// add up now, in order; the same metric twice is refused by name.
func TestMetricsAddUp(t *testing.T) {
	l, err := New(tinyData(4), tinyModel(4), WithBackend(testBackend()), Metrics(ErrorRate), nil, Metrics(Accuracy))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range l.Metrics {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "error_rate,accuracy" {
		t.Errorf("metrics %v, want error_rate then accuracy", names)
	}
	_, err = New(tinyData(4), tinyModel(4), WithBackend(testBackend()), Metrics(ErrorRate), Metrics(ErrorRate))
	if err == nil || !strings.Contains(err.Error(), `"error_rate" is given twice`) {
		t.Errorf("the same metric twice: err = %v, want one naming it", err)
	}
}

// Options of one's own are OptionFunc values; InitStore functions run in
// order.
func TestOptionFuncAndInitStoresInOrder(t *testing.T) {
	var order []string
	init := func(name string) Option {
		return InitStore(func(*model.Store) error { order = append(order, name); return nil })
	}
	quiet := OptionFunc(func(l *Learner) error { l.Quiet = true; return nil })
	l, err := New(tinyData(4), tinyModel(4), WithBackend(testBackend()), init("first"), quiet, init("second"))
	if err != nil {
		t.Fatal(err)
	}
	if !l.Quiet || strings.Join(order, ",") != "first,second" {
		t.Errorf("Quiet %v, InitStore order %v: want true and first,second", l.Quiet, order)
	}
}
