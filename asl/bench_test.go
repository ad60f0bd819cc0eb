package asl

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// loopDefinition is a 10-state Pass/Choice loop that counts $.i up to n:
// 9 transitions per round (8 Pass, 1 Choice) plus the final Succeed.
func loopDefinition() []byte {
	var states []string
	for i := 0; i < 8; i++ {
		states = append(states, fmt.Sprintf(`"P%d":{"Type":"Pass","Next":"P%d"}`, i, i+1))
	}
	states[7] = `"P7":{"Type":"Pass","Parameters":{"i.$":"States.MathAdd($.i, 1)","n.$":"$.n"},"Next":"C"}`
	states = append(states,
		`"C":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThanPath":"$.n","Next":"P0"}],"Default":"Done"}`,
		`"Done":{"Type":"Succeed"}`)
	return []byte(`{"StartAt":"P0","States":{` + strings.Join(states, ",") + `}}`)
}

func BenchmarkPassChoiceLoop(b *testing.B) {
	d, err := Parse(loopDefinition())
	if err != nil {
		b.Fatal(err)
	}
	const rounds = 1000
	input := json.RawMessage(fmt.Sprintf(`{"i":0,"n":%d}`, rounds))
	transitions := 0
	b.ReportAllocs()
	for b.Loop() {
		res, err := Run(d, input, nil, RunOptions{MaxHistoryEvents: -1})
		if err != nil || res.Status != Succeeded {
			b.Fatalf("%v %+v", err, res)
		}
		transitions += rounds*9 + 1
	}
	b.ReportMetric(float64(transitions)/b.Elapsed().Seconds(), "transitions/s")
}

func BenchmarkMap1000(b *testing.B) {
	d, err := Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
		"ItemSelector":{"index.$":"$$.Map.Item.Index","value.$":"$$.Map.Item.Value"},
		"ItemProcessor":{"StartAt":"A","States":{
			"A":{"Type":"Pass","Parameters":{"v.$":"$.value","i.$":"$.index"},"Next":"B"},
			"B":{"Type":"Pass","ResultPath":"$.copy","End":true}}},"End":true}}}`))
	if err != nil {
		b.Fatal(err)
	}
	items := make([]int, 1000)
	for i := range items {
		items[i] = i
	}
	in, _ := json.Marshal(map[string]any{"items": items})
	transitions := 0
	b.ReportAllocs()
	for b.Loop() {
		res, err := Run(d, in, nil, RunOptions{MaxHistoryEvents: -1})
		if err != nil || res.Status != Succeeded {
			b.Fatalf("%v %+v", err, res)
		}
		transitions += 1 + 2*len(items)
	}
	b.ReportMetric(float64(transitions)/b.Elapsed().Seconds(), "transitions/s")
}

func BenchmarkJSONataMap1000(b *testing.B) {
	d, err := Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input.items %}",
		"ItemSelector":{"index":"{% $states.context.Map.Item.Index %}","value":"{% $states.context.Map.Item.Value %}"},
		"ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input.value * 2 %}","End":true}}},"End":true}}}`))
	if err != nil {
		b.Fatal(err)
	}
	items := make([]int, 1000)
	in, _ := json.Marshal(map[string]any{"items": items})
	transitions := 0
	b.ReportAllocs()
	for b.Loop() {
		res, err := Run(d, in, nil, RunOptions{MaxHistoryEvents: -1})
		if err != nil || res.Status != Succeeded {
			b.Fatalf("%v %+v", err, res)
		}
		transitions += 1 + len(items)
	}
	b.ReportMetric(float64(transitions)/b.Elapsed().Seconds(), "transitions/s")
}
