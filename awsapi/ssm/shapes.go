package ssm

import (
	"strconv"
	"time"
)

// Wire shapes of the SSM JSON 1.1 protocol (service-2.json, 2014-11-06).
// Booleans the model boxes are pointers only where absence differs from
// false; here it never does.

type putParameterRequest struct {
	Name           string
	Description    *string
	Value          string
	Type           string
	KeyId          string
	Overwrite      bool
	AllowedPattern *string
	Tags           []tag
	Tier           string
	Policies       string
	DataType       string
}

type tag struct {
	Key   string
	Value string
}

type putParameterResult struct {
	Version int64
	Tier    string
}

type getParameterRequest struct {
	Name           string
	WithDecryption bool
}

type getParameterResult struct {
	Parameter parameter
}

type getParametersRequest struct {
	Names          []string
	WithDecryption bool
}

type getParametersResult struct {
	Parameters        []parameter
	InvalidParameters []string
}

type getParametersByPathRequest struct {
	Path             string
	Recursive        bool
	ParameterFilters []stringFilter
	WithDecryption   bool
	MaxResults       int
	NextToken        string
}

type stringFilter struct {
	Key    string
	Option string
	Values []string
}

type parametersPage struct {
	Parameters []parameter
	NextToken  string `json:",omitempty"`
}

type deleteParameterRequest struct {
	Name string
}

type deleteParametersRequest struct {
	Names []string
}

type deleteParametersResult struct {
	DeletedParameters []string
	InvalidParameters []string
}

type describeParametersRequest struct {
	Filters          []legacyFilter
	ParameterFilters []stringFilter
	MaxResults       int
	NextToken        string
	Shared           bool
}

type legacyFilter struct {
	Key    string
	Values []string
}

type describeParametersResult struct {
	Parameters []metadata
	NextToken  string `json:",omitempty"`
}

type getParameterHistoryRequest struct {
	Name           string
	WithDecryption bool
	MaxResults     int
	NextToken      string
}

type getParameterHistoryResult struct {
	Parameters []history
	NextToken  string `json:",omitempty"`
}

type labelRequest struct {
	Name             string
	ParameterVersion int64
	Labels           []string
}

type labelParameterVersionResult struct {
	InvalidLabels    []string
	ParameterVersion int64
}

type unlabelParameterVersionResult struct {
	RemovedLabels []string
	InvalidLabels []string
}

// parameter is the Parameter shape: a value as GetParameter* return it.
type parameter struct {
	Name             string
	Type             string
	Value            string
	Version          int64
	Selector         string `json:",omitempty"`
	LastModifiedDate epoch
	ARN              string
	DataType         string
}

// metadata is the ParameterMetadata shape of DescribeParameters.
type metadata struct {
	Name             string
	ARN              string
	Type             string
	KeyId            string `json:",omitempty"`
	LastModifiedDate epoch
	LastModifiedUser string `json:",omitempty"`
	Description      string `json:",omitempty"`
	AllowedPattern   string `json:",omitempty"`
	Version          int64
	Tier             string
	Policies         []policy
	DataType         string
}

// history is the ParameterHistory shape.
type history struct {
	Name             string
	Type             string
	KeyId            string `json:",omitempty"`
	LastModifiedDate epoch
	LastModifiedUser string `json:",omitempty"`
	Description      string `json:",omitempty"`
	Value            string
	AllowedPattern   string `json:",omitempty"`
	Version          int64
	Labels           []string
	Tier             string
	Policies         []policy
	DataType         string
}

type policy struct {
	PolicyText   string
	PolicyType   string
	PolicyStatus string
}

// epoch is a timestamp as the JSON protocols send it: seconds since the Unix
// epoch as a number, here with millisecond precision.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', 3, 64), nil
}
