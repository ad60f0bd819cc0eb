package events

import (
	"context"
	"errors"
	"testing"
)

// FuzzCall feeds arbitrary bodies to every operation's decoder: no panics,
// and every error carries a code the protocol can send.
func FuzzCall(f *testing.F) {
	h, _ := newHandler(f, Config{})
	f.Add("PutRule", `{"Name":"r","EventPattern":"{\"source\":[\"a\"]}"}`)
	f.Add("PutTargets", `{"Rule":"r","Targets":[{"Id":"a","Arn":"https://x","InputTransformer":{"InputPathsMap":{"a":"$.b[0]"},"InputTemplate":"<a>"}}]}`)
	f.Add("PutEvents", `{"Entries":[{"Source":"a","DetailType":"d","Detail":"{}","Time":1.5e9}]}`)
	f.Add("TestEventPattern", `{"EventPattern":"{\"a\":[{\"numeric\":[\">\",1]}]}","Event":"{\"a\":2}"}`)
	f.Add("ListTargetsByRule", `{"Rule":"r","NextToken":"-1"}`)
	f.Add("ListRules", `{"Limit":1000}`)
	f.Fuzz(func(t *testing.T, op, body string) {
		_, err := h.Call(context.Background(), op, []byte(body))
		if err == nil {
			return
		}
		var coded interface{ ErrorCode() string }
		if !errors.As(err, &coded) || coded.ErrorCode() == "" || coded.ErrorCode() == "InternalException" {
			t.Fatalf("%s %s: error without a client code: %v", op, body, err)
		}
	})
}
