package conformance

// notYetPassing are the GATEWAY-HTTP core tests that archway does not pass
// yet, each with the reason a run showed. They are skipped, and the
// report says so: none counts as passed. Remove a test from here as soon
// as it passes, and regenerate report.yaml (see doc.go).
var notYetPassing = map[string]string{
	"GatewayInvalidRouteKind": "a listener whose allowedRoutes.kinds has no HTTPRoute is not accepted (Accepted False UnsupportedProtocol); " +
		"the spec asks for ResolvedRefs False InvalidRouteKinds, and supportedKinds with HTTPRoute when the kinds also name it",
	"GatewayWithAttachedRoutes": "allowedRoutes.namespaces.from Selector is not served (the listener is not accepted, so no supportedKinds); " +
		"a listener whose certificateRef cannot be resolved takes no routes, where the spec counts them in attachedRoutes",
	"HTTPRouteCrossNamespace": "its Gateway backend-namespaces admits routes by allowedRoutes.namespaces.from Selector, which is not served",
	"HTTPRouteHostnameIntersection": "a wildcard listener hostname matches one label only (foo.bar.anotherwildcard.io is not served); " +
		"a route whose hostnames meet no listener's is refused with NotAllowedByListeners, not NoMatchingListenerHostname",
	"HTTPRouteInvalidParentRefNotMatchingSectionName": "a parentRef whose sectionName names no listener is refused with NotAllowedByListeners, not NoMatchingParent",
	"HTTPRouteListenerHostnameMatching":               "a wildcard listener hostname matches one label only (multiple.prefixes.bar.com is not served)",
	"HTTPRouteMultipleGateways": "every Gateway of archway shares its address and ports: two Gateways' routes for the same host and path " +
		"are one route (the first wins), where each Gateway should serve its own",
}

// notYetProgrammed are the suite's base Gateways that archway cannot
// program yet, with the reason. The suite's setup waits for every Gateway
// of its namespaces to be Programmed unless the Gateway carries the
// suite's annotation gateway-api/skip-this-for-readiness, which these
// get; the tests that use them are in notYetPassing.
var notYetProgrammed = map[string]string{
	"backend-namespaces": "allowedRoutes.namespaces.from Selector is not served yet",
}
