package agent

// DropConnections closes the agent's server connections as a network
// failure would (tests only).
func (a *Agent) DropConnections() {
	a.cmu.Lock()
	defer a.cmu.Unlock()
	for _, c := range a.cls {
		c.Close()
	}
}
