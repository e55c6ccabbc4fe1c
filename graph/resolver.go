// Package graph is policygraph's GraphQL adapter: the gqlgen-generated executor, thin
// resolvers (arguments in, one store call, result out), the conversion from kg values to
// GraphQL models, the HTTP handler with its limits, and the error presenter that maps kg's
// sentinel errors to extensions.code. It imports gqlgen and kg, never the Neo4j driver.
package graph

//go:generate go run github.com/99designs/gqlgen generate

// Resolver holds the dependencies of every resolver.
type Resolver struct {
	Store Store
	Feed  *Feed // the change feed of the `changes` subscription; nil on plain HTTP (NewHandler)
}
