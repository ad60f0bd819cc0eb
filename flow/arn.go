package flow

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// MachineARN builds arn:aws:states:<region>:<account>:stateMachine:<name>.
func MachineARN(region, account, name string) string {
	return "arn:aws:states:" + region + ":" + account + ":stateMachine:" + name
}

// ExecutionARN builds ...:execution:<machine name>:<name> from a machine ARN.
func ExecutionARN(machineARN, name string) string {
	return executionPrefix(machineARN) + name
}

// executionPrefix is the id prefix shared by a machine's executions.
func executionPrefix(machineARN string) string {
	return strings.Replace(machineARN, ":stateMachine:", ":execution:", 1) + ":"
}

var (
	machineARNPattern   = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[^:]+$`)
	executionARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:[^:]+:[^:]+$`)
)

// CheckMachineARN returns ErrInvalidArn unless arn is a state machine ARN.
func CheckMachineARN(arn string) error {
	if len(arn) > 256 || !machineARNPattern.MatchString(arn) {
		return fmt.Errorf("%w: %q is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)", ErrInvalidArn, arn)
	}
	return nil
}

// CheckExecutionARN returns ErrInvalidArn unless arn is an execution ARN.
func CheckExecutionARN(arn string) error {
	if len(arn) > 256 || !executionARNPattern.MatchString(arn) {
		return fmt.Errorf("%w: %q is not an execution ARN (arn:aws:states:<region>:<account>:execution:<machine>:<name>)", ErrInvalidArn, arn)
	}
	return nil
}

// CheckName applies the Step Functions naming rules to state machine and
// execution names: 1-80 characters, none of whitespace, brackets < > { } [ ],
// wildcards ? *, the characters " # % \ ^ | ~ ` $ & , ; : / or control
// characters.
func CheckName(name string) error {
	n := len([]rune(name))
	if n == 0 || n > 80 {
		return fmt.Errorf("%w: %q must be 1 to 80 characters long", ErrInvalidName, name)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return fmt.Errorf("%w: %q may not contain %q", ErrInvalidName, name, r)
		}
	}
	return nil
}
