package main

var (
	// Package is filled at linking time.
	Package = "github.com/dockerfile-dotenv/dockerfile-dotenv/cmd/dockerfile-dotenv"

	// Version holds the complete version number. Filled in at linking time.
	Version = "0.0.0+unknown"

	// Revision is the VCS revision the binary was built from, filled in at
	// linking time.
	Revision = ""
)
