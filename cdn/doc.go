// Package cdn is edgecd's content-delivery domain: distributions,
// continuous-deployment policies and invalidations, their validation, and the
// pure routing decision that sends a viewer to the primary or the staging
// distribution.
//
// The configuration types are CloudFront's own wire shapes (generated from
// the AWS model into shapes_gen.go), so a DistributionConfig written with the
// aws CLI round-trips verbatim and promote can copy one config into another
// field for field. Everything in route.go, pattern.go, sticky.go and
// validate.go is pure: no I/O, no clock, no randomness that is not passed in.
// Service (service.go and friends) is the stateful side: it keeps resources in
// a store.Store, enforces CloudFront's ETag and lifecycle rules, and reports
// whether a change is Deployed by comparing the revision that wrote it with
// the revisions the live edges have acknowledged.
package cdn
