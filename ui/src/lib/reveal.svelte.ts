/** An entry to show once its session's output is open (a search hit chosen): scrolled to and marked. */
class Reveal {
  target: { sessionId: string; seq: number } | null = $state(null);

  /** Asks the output view of `sessionId` to scroll to entry `seq` and highlight it. */
  show(sessionId: string, seq: number): void {
    this.target = { sessionId, seq };
  }
}

export const reveal = new Reveal();
