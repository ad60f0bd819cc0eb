package asl

import "encoding/json"

// Query languages a definition or state may choose.
const (
	JSONPath = "JSONPath"
	JSONata  = "JSONata"
)

// Definition is a parsed and validated state machine. It is immutable after
// Parse and may be shared by any number of executions.
type Definition struct {
	Comment        string
	Version        string
	TimeoutSeconds int64
	QueryLanguage  string
	Root           *Machine

	machines []*Machine // every machine (root, branches, processors) by id
}

// Machine is a set of states with a start: the top level, one Parallel
// branch, or a Map's item processor.
type Machine struct {
	ID      int
	StartAt string
	States  map[string]*State
	// Order lists state names as they appear in the definition.
	Order []string
}

// State is one parsed state. Which fields are set depends on Type.
type State struct {
	Name          string
	Type          string
	QueryLanguage string // resolved: the state's own or the inherited one
	Next          string
	End           bool

	// JSONPath processing. A nil path means the default ($); Discard*
	// records an explicit null.
	InputPath, OutputPath, ResultPath          *Path
	DiscardInput, DiscardOutput, DiscardResult bool
	Parameters, ResultSelector, Result         *Template
	Arguments, Output, Assign                  *Template
	HasResult                                  bool

	// Task.
	Resource                         string
	TimeoutSeconds, HeartbeatSeconds *Template // number, path or JSONata
	Credentials                      *Template
	Retry                            []Retrier
	Catch                            []Catcher

	// Choice.
	Choices []*ChoiceRule
	Default string

	// Wait: exactly one of these is set.
	Seconds, Timestamp *Template

	// Fail.
	Error, Cause *Template

	// Parallel.
	Branches []*Machine

	// Map.
	Processor                  *Machine
	Distributed                bool // ProcessorConfig.Mode DISTRIBUTED: a map run, quiet children
	ItemsPath                  *Path
	Items                      *Template
	ItemSelector               *Template
	MaxConcurrency             *Template
	ToleratedFailureCount      *Template
	ToleratedFailurePercentage *Template
	// ItemReader and ResultWriter are run by the executor as tasks
	// (ScheduleTask.Purpose says which): the reader returns the items, the
	// writer receives the results and returns the Map's result.
	ItemReader, ResultWriter *Integration
	Batcher                  *Batcher
}

// Batcher is a Map's ItemBatcher: iterations get {"Items": [...]} batches.
type Batcher struct {
	MaxItems, MaxBytes *Template // number, path or JSONata; nil: no limit
	BatchInput         *Template
}

// Integration is a Map's ItemReader or ResultWriter.
type Integration struct {
	Resource   string
	Parameters *Template       // Parameters (JSONPath) or Arguments (JSONata)
	Config     json.RawMessage // ReaderConfig or WriterConfig, passed through
}

// Retrier is one Retry entry.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds float64
	MaxAttempts     int
	BackoffRate     float64
	MaxDelaySeconds float64 // 0: no cap
	JitterFull      bool
}

// Catcher is one Catch entry.
type Catcher struct {
	ErrorEquals   []string
	Next          string
	ResultPath    *Path
	DiscardResult bool
	Output        *Template
	Assign        *Template
}

// ChoiceRule is one Choice rule or a nested boolean expression.
type ChoiceRule struct {
	Next      string
	Assign    *Template
	Output    *Template
	Condition *Template // JSONata

	Variable  *Path
	Op        string // e.g. "StringEquals", "NumericLessThanPath", "IsPresent"
	Value     any    // literal operand
	ValuePath *Path  // operand of a ...Path operator
	And, Or   []*ChoiceRule
	Not       *ChoiceRule
}

// Machine returns the machine with the given id (as stored in a Thread).
func (d *Definition) machine(id int) *Machine {
	if id < 0 || id >= len(d.machines) {
		return nil
	}
	return d.machines[id]
}
