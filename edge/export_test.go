package edge

// AllowedByBucketPolicy exposes the policy check to the external tests.
var AllowedByBucketPolicy = allowedByBucketPolicy
