// Technician input → protocol events: the pointer in remote display pixels, buttons, wheel in
// notches, keys by physical code (KeyboardEvent.code) with modifiers. Everything held is let
// go when the viewer loses focus, so no key stays down on the remote machine. A click focuses
// the canvas, which is what makes the keyboard reach us inside an iframe too.
import { MouseAction, MouseButton, type Payload } from "../protocol/wire";

export interface InputTarget {
  /** Remote pixel under a page position, or null before the first picture. */
  toRemote(clientX: number, clientY: number): { x: number; y: number } | null;
  readonly displayId: string;
}

const BUTTONS: Record<number, MouseButton> = {
  0: MouseButton.MOUSE_BUTTON_LEFT,
  1: MouseButton.MOUSE_BUTTON_MIDDLE,
  2: MouseButton.MOUSE_BUTTON_RIGHT,
  3: MouseButton.MOUSE_BUTTON_BACK,
  4: MouseButton.MOUSE_BUTTON_FORWARD,
};

/** Pixels of wheel travel per notch (Chromium reports 100 per notch for a mouse wheel). */
const PIXELS_PER_NOTCH = 100;
const LINES_PER_NOTCH = 3;

export function modifierBits(e: { shiftKey: boolean; ctrlKey: boolean; altKey: boolean; metaKey: boolean }): number {
  return (e.shiftKey ? 1 : 0) | (e.ctrlKey ? 2 : 0) | (e.altKey ? 4 : 0) | (e.metaKey ? 8 : 0);
}

/** Turns wheel deltas into whole notches, carrying the remainder to the next event. */
export class WheelAccumulator {
  private x = 0;
  private y = 0;

  add(dx: number, dy: number, deltaMode: number): { dx: number; dy: number } {
    const unit = deltaMode === 0 ? PIXELS_PER_NOTCH : deltaMode === 1 ? LINES_PER_NOTCH : 1;
    this.x += dx / unit;
    this.y += dy / unit;
    const out = { dx: Math.trunc(this.x) || 0, dy: Math.trunc(this.y) || 0 }; // never -0
    this.x -= out.dx;
    this.y -= out.dy;
    return out;
  }
}

export class InputHandler {
  private readonly heldKeys = new Set<string>();
  private readonly heldButtons = new Set<number>();
  private readonly wheel = new WheelAccumulator();
  private last = { x: -1, y: -1 };
  enabled = true;

  constructor(
    private readonly surface: HTMLElement,
    private readonly target: InputTarget,
    private readonly send: (payload: Payload) => void,
  ) {
    surface.tabIndex = 0;
    surface.addEventListener("pointerdown", (e) => this.pointer(e, MouseAction.MOUSE_ACTION_DOWN));
    surface.addEventListener("pointerup", (e) => this.pointer(e, MouseAction.MOUSE_ACTION_UP));
    surface.addEventListener("pointermove", (e) => this.pointer(e, MouseAction.MOUSE_ACTION_MOVE));
    surface.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    surface.addEventListener("contextmenu", (e) => e.preventDefault());
    surface.addEventListener("keydown", (e) => this.key(e, true));
    surface.addEventListener("keyup", (e) => this.key(e, false));
    surface.addEventListener("blur", () => this.releaseAll());
    window.addEventListener("blur", () => this.releaseAll());
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) this.releaseAll();
    });
  }

  /** Lets go of every key and button held for the remote machine. */
  releaseAll(): void {
    if (this.heldKeys.size === 0 && this.heldButtons.size === 0) return;
    this.heldKeys.clear();
    this.heldButtons.clear();
    this.send({ $case: "keyEvent", value: keyEvent({ releaseAll: true }) });
  }

  /** Ctrl+Alt+Del on the remote machine (the secure attention sequence on Windows). */
  ctrlAltDel(): void {
    this.send({ $case: "keyEvent", value: keyEvent({ secureAttention: true }) });
  }

  private pointer(e: PointerEvent, action: MouseAction): void {
    if (!this.enabled) return;
    const at = this.target.toRemote(e.clientX, e.clientY);
    if (at === null) return;
    let button = MouseButton.MOUSE_BUTTON_NONE;
    if (action === MouseAction.MOUSE_ACTION_DOWN) {
      e.preventDefault();
      this.surface.focus({ preventScroll: true });
      this.surface.setPointerCapture?.(e.pointerId);
      button = BUTTONS[e.button] ?? MouseButton.MOUSE_BUTTON_NONE;
      this.heldButtons.add(e.button);
    } else if (action === MouseAction.MOUSE_ACTION_UP) {
      button = BUTTONS[e.button] ?? MouseButton.MOUSE_BUTTON_NONE;
      if (!this.heldButtons.delete(e.button)) return;
    } else if (at.x === this.last.x && at.y === this.last.y) {
      return;
    }
    this.last = at;
    this.send({
      $case: "mouseEvent",
      value: { action, displayId: this.target.displayId, x: at.x, y: at.y, button, wheelDx: 0, wheelDy: 0 },
    });
  }

  private onWheel(e: WheelEvent): void {
    if (!this.enabled) return;
    e.preventDefault();
    const at = this.target.toRemote(e.clientX, e.clientY);
    const notches = this.wheel.add(e.deltaX, e.deltaY, e.deltaMode);
    if (at === null || (notches.dx === 0 && notches.dy === 0)) return;
    this.send({
      $case: "mouseEvent",
      value: {
        action: MouseAction.MOUSE_ACTION_WHEEL,
        displayId: this.target.displayId,
        x: at.x,
        y: at.y,
        button: MouseButton.MOUSE_BUTTON_NONE,
        wheelDx: notches.dx,
        wheelDy: notches.dy,
      },
    });
  }

  private key(e: KeyboardEvent, down: boolean): void {
    if (!this.enabled || e.isComposing) return;
    if (e.code === "") {
      // No physical key (an on-screen keyboard, some input tools): send the character once,
      // which the agent types directly.
      if (down && [...e.key].length === 1) {
        e.preventDefault();
        this.send({ $case: "keyEvent", value: keyEvent({ down: true, text: e.key }) });
      }
      return;
    }
    // Everything goes to the remote machine, browser shortcuts included (where the browser
    // lets us); the remote OS repeats held keys itself, so our repeats are dropped.
    e.preventDefault();
    if (down && e.repeat) return;
    if (down) this.heldKeys.add(e.code);
    else if (!this.heldKeys.delete(e.code)) return;
    const text = e.key.length === 1 ? e.key : "";
    this.send({
      $case: "keyEvent",
      value: keyEvent({ down, code: e.code, text, modifiers: modifierBits(e) }),
    });
  }
}

function keyEvent(fields: Partial<import("../protocol/wire").KeyEvent>) {
  return {
    down: false,
    code: "",
    text: "",
    modifiers: 0,
    releaseAll: false,
    secureAttention: false,
    ...fields,
  };
}
