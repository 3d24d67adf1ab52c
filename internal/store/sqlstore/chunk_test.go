package sqlstore

import "testing"

// TestChunkSize: every row is taken once, no statement exceeds per, and
// the sizes come from a small set, whatever the count.
func TestChunkSize(t *testing.T) {
	sizes := map[int]bool{}
	for _, per := range []int{1, 7, 100, 500} {
		for n := 0; n <= 2000; n++ {
			taken, statements := 0, 0
			for left := n; left > 0; {
				k := chunkSize(left, per)
				if k < 1 || k > per || k > left {
					t.Fatalf("chunkSize(%d, %d) = %d", left, per, k)
				}
				sizes[k] = true
				taken, left, statements = taken+k, left-k, statements+1
			}
			if taken != n {
				t.Fatalf("n=%d per=%d: %d rows taken", n, per, taken)
			}
			if limit := n/per + 1 + 5; n > 0 && statements > limit {
				t.Errorf("n=%d per=%d: %d statements, want at most %d", n, per, statements, limit)
			}
		}
	}
	// 1..16, 32, 64, 128, 256 and the four pers (7 and 1 are among 1..16).
	if len(sizes) > 16+4+2 {
		t.Errorf("%d distinct sizes: %v", len(sizes), sizes)
	}
}

func TestChunkSizeTable(t *testing.T) {
	for _, c := range []struct{ n, per, want int }{
		{0, 500, 0}, {1, 500, 1}, {16, 500, 16}, {17, 500, 16}, {31, 500, 16}, {32, 500, 32},
		{499, 500, 256}, {500, 500, 500}, {1200, 500, 500}, {40, 30, 30},
	} {
		if got := chunkSize(c.n, c.per); got != c.want {
			t.Errorf("chunkSize(%d, %d) = %d, want %d", c.n, c.per, got, c.want)
		}
	}
}
