package neo4jstore

import "context"

// ReadForTest runs a read query and returns the first record's values (tests in
// neo4jstore_test use it to check what a write stored).
func (s *Store) ReadForTest(ctx context.Context, cypher string) ([]any, error) {
	res, err := s.read(ctx, cypher, nil)
	if err != nil {
		return nil, err
	}
	if len(res.Records) == 0 {
		return nil, nil
	}
	return res.Records[0].Values, nil
}
