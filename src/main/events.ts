import type { EventMap, EventName } from '../shared/events'

type Listener<E extends EventName> = (payload: EventMap[E]) => void
type AnyListener = (event: EventName, payload: EventMap[EventName]) => void

/** In-process event bus; each transport subscribes with `onAny` and forwards to its clients. */
export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>()
  private readonly anyListeners = new Set<AnyListener>()

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    for (const l of this.listeners.get(event) ?? []) safeCall(() => (l as Listener<E>)(payload))
    for (const l of this.anyListeners) safeCall(() => l(event, payload))
  }

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener as Listener<EventName>)
    return () => set!.delete(listener as Listener<EventName>)
  }

  onAny(listener: AnyListener): () => void {
    this.anyListeners.add(listener)
    return () => this.anyListeners.delete(listener)
  }
}

// A failing subscriber (a closed socket, a destroyed window) must not stop the others.
function safeCall(fn: () => void): void {
  try {
    fn()
  } catch (err) {
    console.error('event listener failed:', err)
  }
}
