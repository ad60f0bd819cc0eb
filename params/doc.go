// Package params is Parameter Store: named, versioned configuration values
// (String, StringList, SecureString) with labels, hierarchies and the naming,
// size and overwrite rules of the cloud's SSM Parameter Store, so that the
// SSM API in awsapi/ssm and in-process callers (the flow engine's
// aws-sdk:ssm tasks, the release client) see the same behaviour.
//
// Data enters through Service methods (Put, Label, Unlabel, Delete,
// DeleteMany) that validate the request and write it in one store
// transaction, and leaves through Get, GetMany, ByPath, Describe and
// History. Every failure a caller can act on is an *Error whose Kind is one
// of the Err* values, which the wire layer maps to the service's codes.
//
// Layout in the store: record ssm.parameter/<key> holds a parameter's head
// (its latest version, labels and tags), and ssm.parameter.version/
// <key>#<version> holds each kept version, where <key> is the name without
// its leading slash ("/a" and "a" are one parameter, as in the cloud).
// Parameter versions are numbered by this package, not by the store, so a
// parameter deleted and created again starts at version 1 as in the cloud.
// SecureString values are sealed with AES-256-GCM under a local key kept
// in record ssm.key/default (see crypto.go and docs/decisions/0050).
package params
