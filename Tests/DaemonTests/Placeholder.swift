// Daemon integration tests: see AgentTests.swift
