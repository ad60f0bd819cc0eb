// Package demo seeds a fresh edgecd with the S1 scenario: a bucket "site"
// holding three versions of a small app, a primary distribution serving
// /1.0.0 and a staging distribution serving /2.0.0 behind an enabled
// SingleHeader policy (aws-cf-cd-env: staging). Seeding is idempotent: the
// ids it created are kept in the store, and a second run only reads them.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/objstore"
	"github.com/edgecd/edgecd/store"
)

// Bucket is the demo bucket.
const Bucket = "site"

// Result names what the demo created.
type Result struct {
	PrimaryID     string `json:"primary_id"`
	PrimaryDomain string `json:"primary_domain"`
	StagingID     string `json:"staging_id"`
	StagingDomain string `json:"staging_domain"`
	PolicyID      string `json:"policy_id"`
}

const recordKind, recordID = "edgecd.demo", "seed"

// Seed creates the demo unless it exists, and returns its ids.
func Seed(ctx context.Context, st store.Store, objs *objstore.Store, svc *cdn.Service) (Result, error) {
	if rec, err := st.Get(ctx, recordKind, recordID); err == nil {
		var r Result
		if err := json.Unmarshal(rec.Body, &r); err != nil {
			return Result{}, fmt.Errorf("read demo record: %w", err)
		}
		return r, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return Result{}, err
	}
	if err := seedObjects(ctx, objs); err != nil {
		return Result{}, err
	}
	r, err := seedDistributions(ctx, svc)
	if err != nil {
		return Result{}, err
	}
	body, _ := json.Marshal(r)
	_, err = st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Put(ctx, recordKind, recordID, body, store.NotExists)
		return err
	})
	return r, err
}

func seedObjects(ctx context.Context, objs *objstore.Store) error {
	if err := objs.CreateBucket(ctx, Bucket, objstore.BucketOptions{}); err != nil && !errors.Is(err, objstore.ErrBucketExists) {
		return fmt.Errorf("create bucket %s: %w", Bucket, err)
	}
	for v := 1; v <= 3; v++ {
		files := map[string]struct {
			ct   string
			body []byte
		}{
			"index.html":      {"text/html; charset=utf-8", []byte(page(v))},
			"assets/app.css":  {"text/css", []byte(css(v))},
			"assets/app.js":   {"application/javascript", []byte(fmt.Sprintf("document.title = 'v%d App';\nconsole.log('edgecd demo v%d');\n", v, v))},
			"assets/logo.png": {"image/png", logo(v)},
			"assets/data.bin": {"application/octet-stream", blob(v, 1<<20)},
		}
		for name, f := range files {
			key := fmt.Sprintf("%d.0.0/%s", v, name)
			if _, err := objs.Put(ctx, Bucket, key, bytes.NewReader(f.body), objstore.PutOptions{Metadata: objstore.Metadata{ContentType: f.ct}}); err != nil {
				return fmt.Errorf("put %s/%s: %w", Bucket, key, err)
			}
		}
	}
	return nil
}

func page(v int) string {
	return fmt.Sprintf(`<!doctype html>
<html>
<head><meta charset="utf-8"><title>v%d App</title><link rel="stylesheet" href="/assets/app.css"></head>
<body>
<img src="/assets/logo.png" alt="logo" width="32" height="32">
<h1>v%d App</h1>
<p>Served by edgecd from origin path /%d.0.0.</p>
<script src="/assets/app.js"></script>
</body>
</html>
`, v, v, v)
}

func css(v int) string {
	colors := []string{"#2b6cb0", "#2f855a", "#c05621"}
	return fmt.Sprintf("body { font-family: sans-serif; margin: 3em; }\nh1 { color: %s; }\n", colors[(v-1)%3])
}

func logo(v int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	c := color.RGBA{uint8(80 * v), 120, uint8(255 - 60*v), 255}
	for y := range 32 {
		for x := range 32 {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// blob is n deterministic pseudo-random bytes, a stand-in for a large asset.
func blob(v, n int) []byte {
	r := rand.New(rand.NewPCG(uint64(v), 42))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// PrimaryConfig is the demo's primary distribution config: the shape a
// CloudFront user would write, with an S3 origin in the cloud's form.
func PrimaryConfig(callerRef, originPath string) cdn.DistributionConfig {
	t := true
	return cdn.DistributionConfig{
		CallerReference:   callerRef,
		Comment:           "edgecd demo primary",
		Enabled:           true,
		DefaultRootObject: "index.html",
		Origins: cdn.Origins{Quantity: 1, Items: []cdn.Origin{{
			Id:             "site-origin",
			DomainName:     Bucket + ".s3.us-east-1.amazonaws.com",
			OriginPath:     originPath,
			S3OriginConfig: &cdn.S3OriginConfig{OriginAccessIdentity: ""},
		}}},
		DefaultCacheBehavior: cdn.DefaultCacheBehavior{
			TargetOriginId:       "site-origin",
			ViewerProtocolPolicy: "allow-all",
			CachePolicyId:        "658327ea-f89d-4fab-a63d-7e88639e58f6",
			Compress:             &t,
		},
		CustomErrorResponses: &cdn.CustomErrorResponses{Quantity: 2, Items: []cdn.CustomErrorResponse{
			{ErrorCode: 403, ResponsePagePath: "/index.html", ResponseCode: "200"},
			{ErrorCode: 404, ResponsePagePath: "/index.html", ResponseCode: "200"},
		}},
	}
}

func seedDistributions(ctx context.Context, svc *cdn.Service) (Result, error) {
	p, pTag, err := svc.CreateDistribution(ctx, PrimaryConfig("edgecd-demo-primary", "/1.0.0"))
	if err != nil {
		return Result{}, fmt.Errorf("create primary: %w", err)
	}
	s, sTag, err := svc.CopyDistribution(ctx, p.Id, pTag, "edgecd-demo-staging", true, nil)
	if err != nil {
		return Result{}, fmt.Errorf("copy to staging: %w", err)
	}
	sc := s.DistributionConfig
	sc.Origins.Items[0].OriginPath = "/2.0.0"
	sc.Comment = "edgecd demo staging"
	if s, _, err = svc.UpdateDistribution(ctx, s.Id, sc, sTag); err != nil {
		return Result{}, fmt.Errorf("point staging at /2.0.0: %w", err)
	}
	pol, _, err := svc.CreatePolicy(ctx, cdn.ContinuousDeploymentPolicyConfig{
		Enabled:                     true,
		StagingDistributionDnsNames: cdn.StagingDistributionDnsNames{Quantity: 1, Items: []string{s.DomainName}},
		TrafficConfig: &cdn.TrafficConfig{Type: cdn.SingleHeader,
			SingleHeaderConfig: &cdn.ContinuousDeploymentSingleHeaderConfig{Header: "aws-cf-cd-env", Value: "staging"}},
	})
	if errors.Is(err, cdn.ErrPolicyAlreadyExists) {
		// A previous seed died after creating it: reuse it.
		pol, err = findPolicy(ctx, svc, s.DomainName)
	}
	if err != nil {
		return Result{}, fmt.Errorf("create policy: %w", err)
	}
	pc := p.DistributionConfig
	pc.ContinuousDeploymentPolicyId = pol.Id
	if p, _, err = svc.UpdateDistribution(ctx, p.Id, pc, pTag); err != nil {
		return Result{}, fmt.Errorf("attach policy: %w", err)
	}
	return Result{PrimaryID: p.Id, PrimaryDomain: p.DomainName, StagingID: s.Id, StagingDomain: s.DomainName, PolicyID: pol.Id}, nil
}

func findPolicy(ctx context.Context, svc *cdn.Service, stagingDomain string) (*cdn.ContinuousDeploymentPolicy, error) {
	pols, _, err := svc.ListPolicies(ctx, "", 1000)
	if err != nil {
		return nil, err
	}
	for i := range pols {
		for _, n := range pols[i].ContinuousDeploymentPolicyConfig.StagingDistributionDnsNames.Items {
			if n == stagingDomain {
				return &pols[i], nil
			}
		}
	}
	return nil, fmt.Errorf("no policy routes to %s", stagingDomain)
}
