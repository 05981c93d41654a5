// A server-sent-event stream that never gives up: it reconnects by itself with backoff after the network
// or the server goes away, resumes from the last event id it saw (`?last_event_id=`, since a new
// EventSource cannot set the header), and reports its state: connecting, live, reconnecting, closed.

export class LiveStream {
  constructor(url, { onEvent, onState, events }) {
    this.url = url;
    this.onEvent = onEvent;
    this.onState = onState || (() => {});
    this.events = events;
    this.lastEventId = null;
    this.attempt = 0;
    this.closed = false;
    this.timer = 0;
    this.open();
  }

  open() {
    if (this.closed) return;
    const sep = this.url.includes("?") ? "&" : "?";
    let url = this.url;
    if (this.lastEventId !== null) url += `${sep}last_event_id=${encodeURIComponent(this.lastEventId)}`;
    this.state(this.attempt === 0 ? "connecting" : "reconnecting");
    const es = new EventSource(url);
    this.es = es;
    es.onopen = () => { this.attempt = 0; this.state("live"); };
    es.onerror = () => {
      // EventSource retries some failures itself but gives up on others (HTTP errors); take over always.
      if (this.es !== es) return;
      es.close();
      this.retry();
    };
    for (const name of this.events) {
      es.addEventListener(name, (e) => {
        if (e.lastEventId) this.lastEventId = e.lastEventId;
        let data = null;
        try { data = JSON.parse(e.data); } catch { return; }
        if (name === "shutdown") { es.close(); this.retry(); }
        this.onEvent(name, data, e.lastEventId);
      });
    }
  }

  retry() {
    if (this.closed) return;
    this.state("reconnecting");
    const delay = Math.min(5000, 250 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), delay);
  }

  state(s) { this.current = s; this.onState(s); }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.es) this.es.close();
    this.state("closed");
  }
}
