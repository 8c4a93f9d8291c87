package main

import (
	"fmt"
	"io"
	"strings"
)

// command is one way to run archway, as --help lists it.
type command struct {
	name    string // "" is the controller, which runs when no command is named
	args    string
	summary string
}

// commands are archway's commands in the order --help lists them.
var commands = []command{
	{args: "[flags]", summary: "run the controller (the default)"},
	{name: "render", args: "[flags]", summary: "print the nginx.conf it would apply, and what it rejected; starts no nginx"},
	{name: "lint", args: "[FILES|DIRS|-] [flags]", summary: "print what archway refuses or does differently from ingress-nginx with the Ingresses and ConfigMap of files (\"-\": stdin), else of --manifests or the cluster, and how to fix it; exit status 1 on errors"},
	{name: "version", summary: "print the version"},
	{name: "help", summary: "print this help (also --help)"},
}

// isCommand reports whether name is one of commands.
func isCommand(name string) bool {
	for _, c := range commands {
		if c.name != "" && c.name == name {
			return true
		}
	}
	return false
}

// usage prints the commands, a line each, and the flags that the
// controller, render and lint share.
func usage(w io.Writer) {
	fmt.Fprintln(w, "archway: a Kubernetes Ingress controller that drives nginx.")
	fmt.Fprintln(w, "\nUsage:")
	lines := make([]string, len(commands))
	width := 0
	for i, c := range commands {
		lines[i] = strings.Join(strings.Fields("archway "+c.name+" "+c.args), " ")
		width = max(width, len(lines[i]))
	}
	for i, c := range commands {
		fmt.Fprintf(w, "  %-*s %s\n", width, lines[i], c.summary)
	}
	fmt.Fprintf(w, "\nFlags of the controller, render and lint (lint also takes -o, --output text|json):\n%s",
		newFlagSet("archway", &config{}).FlagUsages())
}
