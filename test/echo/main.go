// Command echo is a tiny HTTP backend for demos and tests: it answers every
// request with a JSON description of the request and of itself, so a caller
// can see which backend nginx chose and what headers reached it.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"time"
)

type reply struct {
	Backend string              `json:"backend"`
	Method  string              `json:"method"`
	Host    string              `json:"host"`
	Path    string              `json:"path"`
	Headers map[string][]string `json:"headers"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:9001", "address to listen on")
	name := flag.String("name", "echo", "name this backend reports")
	flag.Parse()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Backend", *name)
		_ = json.NewEncoder(w).Encode(reply{Backend: *name, Method: r.Method, Host: r.Host, Path: r.URL.Path, Headers: r.Header})
	})
	server := &http.Server{Addr: *listen, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("echo %q listening on %s", *name, *listen)
	log.Fatal(server.ListenAndServe())
}
