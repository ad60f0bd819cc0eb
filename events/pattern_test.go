package events

import (
	"errors"
	"strings"
	"testing"
)

// The seed 001 rule: clean up when the manual approval is rejected.
const rejectionPattern = `{
  "detail-type": ["CodePipeline Action Execution State Change"],
  "resources": ["arn:aws:codepipeline:us-east-1:123456789012:site"],
  "source": ["aws.codepipeline"],
  "detail": {"stage": ["Approve"], "action": ["Approve"], "state": ["FAILED"]}
}`

func actionEvent(state string) string {
	return `{"version":"0","id":"6d2a","detail-type":"CodePipeline Action Execution State Change",
	"source":"aws.codepipeline","account":"123456789012","time":"2026-11-23T10:00:00Z","region":"us-east-1",
	"resources":["arn:aws:codepipeline:us-east-1:123456789012:site"],
	"detail":{"pipeline":"site","stage":"Approve","action":"Approve","state":"` + state + `",
	"type":{"owner":"AWS","provider":"Manual","category":"Approval","version":"1"}}}`
}

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		event   string
		want    bool
	}{
		{"seed 001 matches a rejected approval", rejectionPattern, actionEvent("FAILED"), true},
		{"seed 001 ignores an approved one", rejectionPattern, actionEvent("SUCCEEDED"), false},

		// Exact values: strings, numbers, booleans, null; arrays are OR.
		{"exact string", `{"source":["a","b"]}`, `{"source":"b"}`, true},
		{"exact string is case sensitive", `{"source":["a"]}`, `{"source":"A"}`, false},
		{"missing field does not match", `{"source":["a"]}`, `{"other":"a"}`, false},
		{"number matches numerically", `{"n":[300]}`, `{"n":3e2}`, true},
		{"number does not match its string", `{"n":[300]}`, `{"n":"300"}`, false},
		{"string does not match a number", `{"n":["300"]}`, `{"n":300}`, false},
		{"true", `{"b":[true]}`, `{"b":true}`, true},
		{"true is not the string", `{"b":[true]}`, `{"b":"true"}`, false},
		{"null matches null", `{"x":[null]}`, `{"x":null}`, true},
		{"null does not match absence", `{"x":[null]}`, `{}`, false},
		{"empty string matches empty", `{"x":[""]}`, `{"x":""}`, true},
		{"empty string does not match null", `{"x":[""]}`, `{"x":null}`, false},

		// Array-valued event fields: any element.
		{"event array: one element matches", `{"resources":["r2"]}`, `{"resources":["r1","r2"]}`, true},
		{"event array: none matches", `{"resources":["r3"]}`, `{"resources":["r1","r2"]}`, false},
		{"event array of objects: one element matches whole", `{"d":{"a":["1"],"b":["2"]}}`, `{"d":[{"a":"1","b":"x"},{"a":"1","b":"2"}]}`, true},
		{"event array of objects: fields from different elements do not combine", `{"d":{"a":["1"],"b":["2"]}}`, `{"d":[{"a":"1","b":"x"},{"a":"y","b":"2"}]}`, false},

		// Nested objects and AND across fields.
		{"nested AND all match", `{"detail":{"a":["1"],"b":["2"]}}`, `{"detail":{"a":"1","b":"2","c":"3"}}`, true},
		{"nested AND one fails", `{"detail":{"a":["1"],"b":["2"]}}`, `{"detail":{"a":"1","b":"3"}}`, false},
		{"leaf pattern against object", `{"detail":["x"]}`, `{"detail":{"x":1}}`, false},

		// prefix / suffix with and without equals-ignore-case.
		{"prefix", `{"time":[{"prefix":"2017-10-02"}]}`, `{"time":"2017-10-02T18:43:48Z"}`, true},
		{"prefix no", `{"time":[{"prefix":"2017-10-02"}]}`, `{"time":"2017-10-03T18:43:48Z"}`, false},
		{"prefix on a number does not match", `{"n":[{"prefix":"1"}]}`, `{"n":12}`, false},
		{"prefix ignore case", `{"service":[{"prefix":{"equals-ignore-case":"EventB"}}]}`, `{"service":"eventbridge"}`, true},
		{"suffix", `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.png"}`, true},
		{"suffix no", `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.PNG"}`, false},
		{"suffix ignore case", `{"FileName":[{"suffix":{"equals-ignore-case":".png"}}]}`, `{"FileName":"image.PNG"}`, true},
		{"equals-ignore-case", `{"name":[{"equals-ignore-case":"alice"}]}`, `{"name":"ALIce"}`, true},
		{"equals-ignore-case no", `{"name":[{"equals-ignore-case":"alice"}]}`, `{"name":"bob"}`, false},

		// anything-but.
		{"anything-but string", `{"state":[{"anything-but":"initializing"}]}`, `{"state":"running"}`, true},
		{"anything-but string excluded", `{"state":[{"anything-but":"initializing"}]}`, `{"state":"initializing"}`, false},
		{"anything-but needs the field", `{"state":[{"anything-but":"initializing"}]}`, `{}`, false},
		{"anything-but number", `{"x":[{"anything-but":123}]}`, `{"x":456}`, true},
		{"anything-but number excluded", `{"x":[{"anything-but":123}]}`, `{"x":123.0}`, false},
		{"anything-but list", `{"state":[{"anything-but":["stopped","overloaded"]}]}`, `{"state":"stopped"}`, false},
		{"anything-but list other", `{"state":[{"anything-but":["stopped","overloaded"]}]}`, `{"state":"running"}`, true},
		{"anything-but number list", `{"x":[{"anything-but":[100,200]}]}`, `{"x":200}`, false},
		{"anything-but prefix", `{"state":[{"anything-but":{"prefix":"init"}}]}`, `{"state":"initializing"}`, false},
		{"anything-but prefix other", `{"state":[{"anything-but":{"prefix":"init"}}]}`, `{"state":"running"}`, true},
		{"anything-but suffix", `{"f":[{"anything-but":{"suffix":".txt"}}]}`, `{"f":"a.txt"}`, false},
		{"anything-but ignore case", `{"state":[{"anything-but":{"equals-ignore-case":["Stopped","overloaded"]}}]}`, `{"state":"STOPPED"}`, false},
		{"anything-but ignore case other", `{"state":[{"anything-but":{"equals-ignore-case":"stopped"}}]}`, `{"state":"running"}`, true},
		{"anything-but wildcard", `{"p":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"p":"/usr/lib/x"}`, false},
		{"anything-but wildcard other", `{"p":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"p":"/usr/bin/x"}`, true},
		{"anything-but on array: some element differs", `{"x":[{"anything-but":"a"}]}`, `{"x":["a","b"]}`, true},
		{"anything-but on array: all excluded", `{"x":[{"anything-but":"a"}]}`, `{"x":["a","a"]}`, false},

		// numeric.
		{"numeric range in", `{"c":[{"numeric":[">",0,"<=",5]}]}`, `{"c":5}`, true},
		{"numeric range low edge", `{"c":[{"numeric":[">",0,"<=",5]}]}`, `{"c":0}`, false},
		{"numeric range high", `{"c":[{"numeric":[">",0,"<=",5]}]}`, `{"c":5.5}`, false},
		{"numeric >= ", `{"c":[{"numeric":[">=",10]}]}`, `{"c":10}`, true},
		{"numeric <", `{"c":[{"numeric":["<",10]}]}`, `{"c":10}`, false},
		{"numeric =", `{"c":[{"numeric":["=",300]}]}`, `{"c":300.0}`, true},
		{"numeric on string", `{"c":[{"numeric":[">",0]}]}`, `{"c":"5"}`, false},
		{"numeric negative and fractions", `{"c":[{"numeric":[">=",-1.5,"<",-1]}]}`, `{"c":-1.25}`, true},
		{"numeric on array", `{"c":[{"numeric":[">",10]}]}`, `{"c":[1,2,11]}`, true},

		// exists.
		{"exists true", `{"detail":{"c":[{"exists":true}]}}`, `{"detail":{"c":1}}`, true},
		{"exists true null counts", `{"detail":{"c":[{"exists":true}]}}`, `{"detail":{"c":null}}`, true},
		{"exists true absent", `{"detail":{"c":[{"exists":true}]}}`, `{"detail":{"d":1}}`, false},
		{"exists false absent", `{"detail":{"c":[{"exists":false}]}}`, `{"detail":{"d":1}}`, true},
		{"exists false present", `{"detail":{"c":[{"exists":false}]}}`, `{"detail":{"c":"x"}}`, false},
		{"exists false with no parent", `{"detail":{"c":[{"exists":false}]}}`, `{"source":"x"}`, true},
		{"exists only on leaves", `{"detail":[{"exists":true}]}`, `{"detail":{"c":1}}`, false},
		{"exists true on empty array", `{"a":[{"exists":true}]}`, `{"a":[]}`, false},

		// wildcard.
		{"wildcard", `{"f":[{"wildcard":"dir/*.png"}]}`, `{"f":"dir/a/b.png"}`, true},
		{"wildcard no", `{"f":[{"wildcard":"dir/*.png"}]}`, `{"f":"dir/a.jpg"}`, false},
		{"wildcard many", `{"f":[{"wildcard":"*a*b*"}]}`, `{"f":"xxaxxbxx"}`, true},
		{"wildcard order", `{"f":[{"wildcard":"*b*a*"}]}`, `{"f":"ab"}`, false},
		{"wildcard overlap", `{"f":[{"wildcard":"ab*ba"}]}`, `{"f":"aba"}`, false},
		{"wildcard escaped star", `{"f":[{"wildcard":"a\\*b"}]}`, `{"f":"a*b"}`, true},
		{"wildcard escaped star is literal", `{"f":[{"wildcard":"a\\*b"}]}`, `{"f":"axb"}`, false},
		{"wildcard no star is exact", `{"f":[{"wildcard":"abc"}]}`, `{"f":"abc"}`, true},

		// cidr.
		{"cidr in", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, `{"ip":"10.0.0.255"}`, true},
		{"cidr out", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, `{"ip":"10.0.1.0"}`, false},
		{"cidr v6", `{"ip":[{"cidr":"2001:db8::/32"}]}`, `{"ip":"2001:db8::1"}`, true},

		// $or.
		{"$or first", `{"$or":[{"c":[{"numeric":[">",0]}]},{"d":["x"]}]}`, `{"c":1}`, true},
		{"$or second", `{"$or":[{"c":[{"numeric":[">",0]}]},{"d":["x"]}]}`, `{"d":"x"}`, true},
		{"$or neither", `{"$or":[{"c":[{"numeric":[">",0]}]},{"d":["x"]}]}`, `{"c":0,"d":"y"}`, false},
		{"$or nested with AND", `{"source":["s"],"detail":{"$or":[{"a":["1"]},{"b":["2"]}]}}`, `{"source":"s","detail":{"b":"2"}}`, true},
		{"$or nested AND fails", `{"source":["s"],"detail":{"$or":[{"a":["1"]},{"b":["2"]}]}}`, `{"source":"t","detail":{"b":"2"}}`, false},

		{"$or object is a field name", `{"$or":{"a":["x"]}}`, `{"$or":{"a":"x"}}`, true},
		{"$or of values is a field name", `{"$or":["a","b"]}`, `{"$or":"b"}`, true},
		{"$or of expressions is a field name", `{"$or":[{"prefix":"a"},{"suffix":"b"}]}`, `{"$or":"ab"}`, true},
		{"arrays of arrays of objects", `{"e":{"first":["Anna"]}}`, `{"e":[[{"first":"John"}],[{"first":"Anna"}]]}`, true},

		// Several matchers in one list are OR.
		{"mixed OR list", `{"x":["a",{"prefix":"b"},{"numeric":[">",5]}]}`, `{"x":9}`, true},
		{"mixed OR list none", `{"x":["a",{"prefix":"b"},{"numeric":[">",5]}]}`, `{"x":"c"}`, false},
		{"exists false OR value", `{"x":[{"exists":false},"a"]}`, `{"x":"a"}`, true},

		{"event not an object", `{"x":["a"]}`, `["a"]`, false},
		{"event not JSON", `{"x":["a"]}`, `{`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := CompilePattern([]byte(tt.pattern))
			if err != nil {
				t.Fatalf("compile %s: %v", tt.pattern, err)
			}
			if got := p.Match([]byte(tt.event)); got != tt.want {
				t.Errorf("Match(%s) on %s = %v, want %v", tt.pattern, tt.event, got, tt.want)
			}
		})
	}
}

func TestPatternErrors(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    string // in the reason
	}{
		{"not JSON", `{"source":`, "not valid JSON"},
		{"not an object", `["a"]`, "must be a JSON object"},
		{"trailing text", `{"a":["b"]} x`, "text after"},
		{"empty pattern", `{}`, "Empty objects are not allowed"},
		{"empty nested", `{"source":["a"],"detail":{}}`, "Empty objects are not allowed (at detail)"},
		{"scalar instead of array", `{"detail":{"pipeline":{"slug":"some-pipeline"}}}`, `"slug" must be an object or an array`},
		{"empty array", `{"source":[]}`, "Empty arrays are not allowed"},
		{"nested array value", `{"source":[["a"]]}`, "Match value must be"},
		{"unknown operator", `{"a":[{"contains":"x"}]}`, "Unrecognized match type contains"},
		{"two keys", `{"a":[{"prefix":"x","suffix":"y"}]}`, "exactly one key"},
		{"prefix not string", `{"a":[{"prefix":1}]}`, "prefix match pattern must be a string"},
		{"suffix list", `{"a":[{"suffix":[":created"]}]}`, "suffix match pattern must be a string"},
		{"exists not bool", `{"a":[{"exists":"true"}]}`, "exists match pattern must be either true or false"},
		{"numeric not array", `{"a":[{"numeric":5}]}`, "Value of numeric must be an array"},
		{"numeric odd", `{"a":[{"numeric":[">"]}]}`, "Value of numeric must be an array"},
		{"numeric bad op", `{"a":[{"numeric":["!=",5]}]}`, "Unrecognized numeric range operator: !="},
		{"numeric value string", `{"a":[{"numeric":[">","5"]}]}`, "Value of > must be numeric"},
		{"numeric inverted", `{"a":[{"numeric":[">",5,"<",1]}]}`, "Bottom must be less than top"},
		{"numeric two lows", `{"a":[{"numeric":[">",5,">",1]}]}`, "two lower bounds"},
		{"numeric eq combined", `{"a":[{"numeric":["=",5,"<",1]}]}`, "cannot be combined"},
		{"anything-but mixed", `{"a":[{"anything-but":["x",1]}]}`, "all values must be strings or all numbers"},
		{"anything-but bool", `{"a":[{"anything-but":true}]}`, "Value of anything-but must be"},
		{"anything-but unknown", `{"a":[{"anything-but":{"numeric":[">",1]}}]}`, "Unsupported anything-but pattern: numeric"},
		{"wildcard consecutive", `{"a":[{"wildcard":"a**b"}]}`, "Consecutive wildcard characters at pos 2"},
		{"wildcard bad escape", `{"a":[{"wildcard":"a\\b"}]}`, "Invalid escape"},
		{"cidr bad", `{"a":[{"cidr":"10.0.0.0"}]}`, "Malformed CIDR"},
		{"$or with one alternative", `{"$or":[{"a":["x"]}]}`, "$or needs at least two pattern objects"},
		{"$or as a field name with a bad value", `{"$or":"x"}`, `"$or" must be an object or an array`},
		{"deep", strings.Repeat(`{"a":`, 100) + `["x"]` + strings.Repeat("}", 100), "nests deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompilePattern([]byte(tt.pattern))
			var pe *PatternError
			if !errors.As(err, &pe) {
				t.Fatalf("CompilePattern(%s) = %v, want a *PatternError", tt.pattern, err)
			}
			if !strings.HasPrefix(err.Error(), "Event pattern is not valid. Reason: ") || !strings.Contains(pe.Reason, tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestTestPattern(t *testing.T) {
	ok, err := TestPattern([]byte(rejectionPattern), []byte(actionEvent("FAILED")))
	if err != nil || !ok {
		t.Fatalf("TestPattern = %v, %v; want true", ok, err)
	}
	if _, err := TestPattern([]byte(rejectionPattern), []byte(`"x"`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("a non-object event: %v, want ErrInvalid", err)
	}
	if _, err := TestPattern([]byte(rejectionPattern), []byte(`{"source":"x"}`)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"id" is missing`) {
		t.Errorf("an event without its envelope: %v, want ErrInvalid naming id", err)
	}
}
