package params

import (
	"context"
	"strings"

	"github.com/edgecd/edgecd/store"
)

// Label attaches labels to one version of a parameter (the latest when
// version is 0), moving any that sat on another version. Ill-formed labels
// are not attached and come back in invalid; the call still succeeds.
func (s *Service) Label(ctx context.Context, name string, version int64, labels []string) (labelled int64, invalid []string, err error) {
	name = strings.Trim(name, " ")
	if err := checkName(name, false); err != nil {
		return 0, nil, err
	}
	if err := checkLabelCount(labels); err != nil {
		return 0, nil, err
	}
	if version < 0 {
		return 0, nil, errorf(ErrInvalid, "1 validation error detected: Value '%d' at 'parameterVersion' failed to satisfy constraint: Member must be a positive version", version)
	}
	k := key(name)
	err = s.update(ctx, func(ctx context.Context, tx store.Tx) error {
		invalid = nil
		h, hv, err := readHead(ctx, tx, k)
		if err != nil {
			return errorf(kindOf(err), "%s", notFoundMsg(err, name))
		}
		labelled = version
		if labelled == 0 {
			labelled = h.Latest.Number
		}
		if labelled > h.Latest.Number || labelled < h.Oldest {
			return errorf(ErrVersionNotFound, "Systems Manager could not find version %d of %s. Verify the version and try again.", labelled, name)
		}
		if h.Labels == nil {
			h.Labels = map[string]int64{}
		}
		on := len(h.labelsOf(labelled))
		for _, l := range labels {
			if !validLabel(l) {
				invalid = append(invalid, l)
				continue
			}
			if n, ok := h.Labels[l]; ok && n == labelled {
				continue
			}
			h.Labels[l] = labelled
			on++
		}
		if on > MaxLabelsPerVersion {
			return errorf(ErrLabelLimit, "A parameter version can have a maximum of %d labels. Version %d of %s would have %d: move or remove some first.", MaxLabelsPerVersion, labelled, name, on)
		}
		return putJSON(ctx, tx, kindHead, k, h, hv)
	})
	if err != nil {
		return 0, nil, err
	}
	return labelled, invalid, nil
}

// Unlabel removes labels from one version. Labels that are not on that
// version come back in invalid.
func (s *Service) Unlabel(ctx context.Context, name string, version int64, labels []string) (removed, invalid []string, err error) {
	name = strings.Trim(name, " ")
	if err := checkName(name, false); err != nil {
		return nil, nil, err
	}
	if err := checkLabelCount(labels); err != nil {
		return nil, nil, err
	}
	k := key(name)
	err = s.update(ctx, func(ctx context.Context, tx store.Tx) error {
		removed, invalid = nil, nil
		h, hv, err := readHead(ctx, tx, k)
		if err != nil {
			return errorf(kindOf(err), "%s", notFoundMsg(err, name))
		}
		if version < h.Oldest || version > h.Latest.Number {
			return errorf(ErrVersionNotFound, "Systems Manager could not find version %d of %s. Verify the version and try again.", version, name)
		}
		for _, l := range labels {
			if n, ok := h.Labels[l]; ok && n == version {
				delete(h.Labels, l)
				removed = append(removed, l)
			} else {
				invalid = append(invalid, l)
			}
		}
		if len(removed) == 0 {
			return nil
		}
		return putJSON(ctx, tx, kindHead, k, h, hv)
	})
	if err != nil {
		return nil, nil, err
	}
	return removed, invalid, nil
}

func checkLabelCount(labels []string) error {
	if len(labels) < 1 || len(labels) > MaxLabelsPerVersion {
		return errorf(ErrInvalid, "1 validation error detected: Value at 'labels' failed to satisfy constraint: Member must have length between 1 and %d, got %d", MaxLabelsPerVersion, len(labels))
	}
	for _, l := range labels {
		if len(l) > MaxLabelLen {
			return errorf(ErrInvalid, "1 validation error detected: Value at 'labels' failed to satisfy constraint: Member must have length less than or equal to %d", MaxLabelLen)
		}
	}
	return nil
}
