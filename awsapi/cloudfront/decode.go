package cloudfront

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// decodeStrict unmarshals an XML document whose root must be root into v,
// and refuses elements the shape does not have, which encoding/xml would
// silently drop: a misspelt field must not be ignored in a config.
func decodeStrict(body []byte, root string, v any) error {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var path []string
	var types []shapeNode
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: the request is not well-formed XML: %v", errMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(types) == 0 {
				if t.Name.Local != root {
					return fmt.Errorf("%w: the document's root element is <%s>; this operation takes <%s>", errMalformed, t.Name.Local, root)
				}
				types = append(types, shapeNode{t: reflect.TypeOf(v).Elem()})
				path = append(path, root)
				continue
			}
			parent := types[len(types)-1]
			child, ok := parent.child(t.Name.Local)
			if !ok {
				return fmt.Errorf("%w: unexpected element <%s> in %s; check the spelling against the CloudFront API reference", errMalformed, t.Name.Local, strings.Join(path, "."))
			}
			types = append(types, child)
			path = append(path, t.Name.Local)
			text.Reset()
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if err := checkScalar(types[len(types)-1], strings.TrimSpace(text.String())); err != nil {
				return fmt.Errorf("%w: %s: %v", errMalformed, strings.Join(path, "."), err)
			}
			text.Reset()
			types = types[:len(types)-1]
			path = path[:len(path)-1]
		}
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %v", errMalformed, err)
	}
	return nil
}

// shapeNode is where the decoder is in a shape: a Go type, or the wrapper
// element of a list whose items are named item.
type shapeNode struct {
	t    reflect.Type
	item string // set for list wrappers ("Items" holding <Origin>...)
}

var timeType = reflect.TypeOf(time.Time{})

func (n shapeNode) child(name string) (shapeNode, bool) {
	t := n.t
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.item != "" {
		if name != n.item {
			return shapeNode{}, false
		}
		return shapeNode{t: t.Elem()}, true
	}
	if t.Kind() != reflect.Struct || t == timeType {
		return shapeNode{}, false // a scalar has no child elements
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("xml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		outer, item, isList := strings.Cut(tag, ">")
		if outer != name {
			continue
		}
		if isList {
			return shapeNode{t: f.Type, item: item}, true
		}
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() != reflect.Uint8 {
			return shapeNode{t: f.Type.Elem()}, true
		}
		return shapeNode{t: f.Type}, true
	}
	return shapeNode{}, false
}

// checkScalar reports a leaf's text that its type cannot hold, so the
// message can name the field (encoding/xml's own errors do not).
func checkScalar(n shapeNode, text string) error {
	if n.item != "" || text == "" {
		return nil // encoding/xml reads an empty scalar as its zero value
	}
	t := n.t
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var err error
	switch t.Kind() {
	case reflect.Bool:
		_, err = strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("%q is not a boolean (true or false)", text)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err = strconv.ParseInt(text, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("%q is not an integer that fits %d bits", text, t.Bits())
		}
	case reflect.Float32, reflect.Float64:
		_, err = strconv.ParseFloat(text, t.Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", text)
		}
	}
	return nil
}
