package aws

// The user data of a group's instances: a MIME multi-part document that
// cloud-init runs part by part.
//
//  1. stagecraft-env.sh, a shell script that writes the group's port and
//     env to /etc/stagecraft.env (KEY='value' lines, readable by a systemd
//     EnvironmentFile= and by `set -a; . /etc/stagecraft.env`). Its second
//     line is a structured comment, "# stagecraft-config: {json}", holding
//     the port and env exactly as configured: Read recovers them from it,
//     so what Read reports is what the instances are given.
//  2. user-data, the aws block's user_data unchanged (typed as cloud-config
//     or a shell script by its first line), present only when set.
//
// Both parts are base64 in the MIME document, so any bytes round-trip.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"sort"
	"strings"
)

const (
	userDataBoundary  = "stagecraft-user-data-7f3a"
	userDataConfigTag = "# stagecraft-config: "
	userDataEnvFile   = "/etc/stagecraft.env"
	// userDataLimit is AWS's limit on user data before base64.
	userDataLimit = 16 * 1024
)

// instanceConfig is what the first part carries.
type instanceConfig struct {
	Address string            `json:"address"`
	Port    int32             `json:"port"`
	Env     map[string]string `json:"env"`
}

// buildUserData renders the user data (not yet base64) of a group.
func buildUserData(cfg instanceConfig, userData *string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("Content-Type: multipart/mixed; boundary=\"" + userDataBoundary + "\"\r\nMIME-Version: 1.0\r\n\r\n")
	w := multipart.NewWriter(&buf)
	if err := w.SetBoundary(userDataBoundary); err != nil {
		return nil, err
	}
	if err := writeUserDataPart(w, "text/x-shellscript", "stagecraft-env.sh", envScript(cfg)); err != nil {
		return nil, err
	}
	if userData != nil {
		if err := writeUserDataPart(w, userDataType(*userData), "user-data", []byte(*userData)); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeUserDataPart(w *multipart.Writer, contentType, filename string, body []byte) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", contentType+"; charset=\"utf-8\"")
	h.Set("Content-Transfer-Encoding", "base64")
	h.Set("Content-Disposition", "attachment; filename=\""+filename+"\"")
	pw, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(body)
	for len(enc) > 76 {
		fmt.Fprintf(pw, "%s\r\n", enc[:76])
		enc = enc[76:]
	}
	_, err = fmt.Fprintf(pw, "%s\r\n", enc)
	return err
}

// userDataType is the cloud-init part type of a boot script, from its
// first line.
func userDataType(s string) string {
	switch {
	case strings.HasPrefix(s, "#cloud-config"):
		return "text/cloud-config"
	case strings.HasPrefix(s, "#cloud-boothook"):
		return "text/cloud-boothook"
	case strings.HasPrefix(s, "#include"):
		return "text/x-include-url"
	}
	return "text/x-shellscript"
}

// envScript is the first part: the structured comment, then the script
// writing the environment file.
func envScript(cfg instanceConfig) []byte {
	if cfg.Env == nil {
		cfg.Env = map[string]string{}
	}
	js, _ := json.Marshal(cfg) // strings and numbers only: cannot fail
	var file strings.Builder
	fmt.Fprintf(&file, "PORT=%s\n", shellQuote(fmt.Sprint(cfg.Port)))
	keys := make([]string, 0, len(cfg.Env))
	for k := range cfg.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&file, "%s=%s\n", k, shellQuote(cfg.Env[k]))
	}
	var s strings.Builder
	s.WriteString("#!/bin/sh\n")
	s.WriteString(userDataConfigTag + string(js) + "\n")
	s.WriteString("# Written by Stagecraft: the environment of " + cfg.Address + " in " + userDataEnvFile + ",\n")
	s.WriteString("# for the application's unit (EnvironmentFile=) or a shell (set -a; . " + userDataEnvFile + ").\n")
	s.WriteString("umask 022\n")
	s.WriteString("base64 -d > " + userDataEnvFile + " <<'STAGECRAFT_ENV'\n")
	enc := base64.StdEncoding.EncodeToString([]byte(file.String()))
	for len(enc) > 76 {
		s.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	s.WriteString(enc + "\nSTAGECRAFT_ENV\n")
	return []byte(s.String())
}

// shellQuote quotes s for sh and systemd alike: single quotes, with a
// quote inside closing the quotes, escaping it and opening them again.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// parseUserData recovers the configuration and the user's boot script
// (nil when there was none) from user data built by buildUserData.
func parseUserData(data []byte) (instanceConfig, *string, error) {
	var cfg instanceConfig
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return cfg, nil, fmt.Errorf("the user data is not Stagecraft's: %w", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		return cfg, nil, errors.New("the user data is not Stagecraft's: not a multipart document")
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	found := false
	var userData *string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return cfg, nil, fmt.Errorf("the user data is not Stagecraft's: %w", err)
		}
		raw, err := io.ReadAll(part)
		if err != nil {
			return cfg, nil, err
		}
		body := raw
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "base64") {
			body, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
			if err != nil {
				return cfg, nil, fmt.Errorf("the user data's part %q is not base64: %w", part.FileName(), err)
			}
		}
		switch part.FileName() {
		case "stagecraft-env.sh":
			sc := bufio.NewScanner(bytes.NewReader(body))
			sc.Buffer(make([]byte, 0, 64*1024), userDataLimit*2)
			for sc.Scan() {
				line := sc.Text()
				if strings.HasPrefix(line, userDataConfigTag) {
					if err := json.Unmarshal([]byte(strings.TrimPrefix(line, userDataConfigTag)), &cfg); err != nil {
						return cfg, nil, fmt.Errorf("the user data's configuration comment is damaged: %w", err)
					}
					found = true
					break
				}
			}
		case "user-data":
			s := string(body)
			userData = &s
		}
	}
	if !found {
		return cfg, nil, errors.New("the user data has no Stagecraft configuration comment")
	}
	if cfg.Env == nil {
		cfg.Env = map[string]string{}
	}
	return cfg, userData, nil
}
