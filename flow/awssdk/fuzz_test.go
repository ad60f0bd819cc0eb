package awssdk

import (
	"encoding/json"
	"testing"
)

// FuzzRequest feeds task parameters to every operation's request builder:
// any input must give a request or an error, never a panic.
func FuzzRequest(f *testing.F) {
	f.Add(`{"Id":"E1","IfMatch":"x","DistributionConfig":{"CallerReference":"r","Origins":{"Quantity":1,"Items":[{"Id":"o"}]}}}`)
	f.Add(`{"Bucket":"b","Key":"a/b c","Body":"x","Metadata":{"k":"v"},"MaxKeys":3}`)
	f.Add(`{"PrimaryDistributionId":"E1","Staging":true,"CallerReference":"c","Enabled":false}`)
	f.Add(`{"Id":null,"Key":{"a":1}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := decodeParams(json.RawMessage(raw), "fuzz")
		if err != nil {
			return
		}
		for _, op := range cloudfrontOps {
			op.request(p, "cloudfront")
		}
		for _, op := range s3Ops {
			op.request(p)
		}
	})
}
