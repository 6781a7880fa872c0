package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// streamCollection reads a Graph collection body from r as it arrives:
// each element of "value" is decoded on its own and handed to item, the
// annotations to link ("@odata.nextLink", "@odata.deltaLink"), and
// anything else skipped. Only one element is ever held as JSON, so a page
// of 999 objects costs its decoded objects, never its raw text too.
func streamCollection[T any](r io.Reader, item func(T) error, link func(key, value string)) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		switch key {
		case "value":
			if err := streamArray(dec, item); err != nil {
				return fmt.Errorf("value: %w", err)
			}
		case "@odata.nextLink", "@odata.deltaLink":
			var v *string
			if err := dec.Decode(&v); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			if v != nil {
				link(key, *v)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return err
	}
	// Anything after the object other than white space is an error.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("data after the response object")
		}
		return err
	}
	return nil
}

func streamArray[T any](dec *json.Decoder, item func(T) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil // "value": null
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("want an array, got %v", tok)
	}
	for dec.More() {
		var v T
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if err := item(v); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}
