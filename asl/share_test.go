package asl

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

// TestDefinitionIsSafeToShare runs one parsed definition from several
// goroutines; with -race this proves evaluation never writes to it (JSONata
// variables in particular).
func TestDefinitionIsSafeToShare(t *testing.T) {
	d := mustParse(t, `{"QueryLanguage":"JSONata","StartAt":"A","States":{
		"A":{"Type":"Pass","Assign":{"n":"{% $states.input.n %}"},"Next":"B"},
		"B":{"Type":"Pass","Output":"{% $n * 2 %}","End":true}}}`)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			res, err := Run(d, json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), nil, RunOptions{})
			if err != nil {
				errs <- err
				return
			}
			if want := fmt.Sprint(i * 2); string(res.Output) != want {
				errs <- fmt.Errorf("run %d: output %s, want %s", i, res.Output, want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
