/** A module's failure level, worst last. */
export type FailureStatus = 'none' | 'hint' | 'warning' | 'error';

/** A module's current failure, as operators see it. */
export interface FailureState {
  readonly status: FailureStatus;
  readonly id: string;
  readonly title: string;
  readonly message: string;
}

/** The clean state. */
export const NO_FAILURE: FailureState = Object.freeze({
  status: 'none',
  id: '',
  title: '',
  message: '',
});

const RANK: Record<FailureStatus, number> = { none: 0, hint: 1, warning: 2, error: 3 };

/** The worse of two failure levels. */
export function worse(a: FailureStatus, b: FailureStatus): FailureStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * Holds one module's failure state. One failure at a time: setting the same `id` again is
 * ignored ("already reported"); another id replaces it; `resolve(id)` clears a match.
 */
export class FailureTracker {
  private current: FailureState = NO_FAILURE;

  /** `listener`: a function, or an owner's `failureChanged` (no closure per owner). */
  constructor(
    private readonly listener:
      ((state: FailureState) => void) | { failureChanged(state: FailureState): void },
  ) {}

  private onChange(state: FailureState): void {
    const { listener } = this;
    if (typeof listener === 'function') listener(state);
    else listener.failureChanged(state);
  }

  get state(): FailureState {
    return this.current;
  }

  /** Sets a failure; returns false when the same id was already set. */
  set(status: Exclude<FailureStatus, 'none'>, id: string, title: string, message: string): boolean {
    if (this.current.status !== 'none' && this.current.id === id) return false;
    this.current = Object.freeze({ status, id, title, message });
    this.onChange(this.current);
    return true;
  }

  /** Clears the failure if `id` matches it, or whatever is set when `id` is omitted. */
  resolve(id?: string): boolean {
    if (this.current.status === 'none') return false;
    if (id !== undefined && id !== this.current.id) return false;
    this.current = NO_FAILURE;
    this.onChange(this.current);
    return true;
  }
}
