/**
 * `ModalDialogController`: opens and closes an element's `<dialog>`s from its state, and gives focus
 * back to the control that opened them.
 * @packageDocumentation
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Dialogs are found in `root` by class name. `sync(name, open)` (after each update) calls
 * `showModal()` or `close()` when the wanted state differs; `remember(opener)` records the control
 * that asked for a dialog; `restoreFocus()` (from the dialog's `close` event) moves focus back to it
 * when it is still in the document.
 * @internal
 */
export class ModalDialogController implements ReactiveController {
  private readonly getRoot: () => ParentNode & { activeElement?: Element | null };
  private opener: HTMLElement | null = null;

  constructor(
    host: ReactiveControllerHost,
    getRoot: () => ParentNode & { activeElement?: Element | null },
  ) {
    this.getRoot = getRoot;
    host.addController(this);
  }

  /** Remembers the control that opened (or is about to open) a dialog. */
  remember(opener: HTMLElement | null): void {
    this.opener = opener;
  }

  /** Shows or closes the dialog with class `name`. */
  sync(name: string, open: boolean): void {
    const root = this.getRoot();
    const dialog = root.querySelector<HTMLDialogElement>(`dialog.${name}`);
    if (!dialog) return;
    if (open && !dialog.open) {
      this.opener ??= (root.activeElement as HTMLElement | null | undefined) ?? null;
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }

  /** Focuses the remembered opener (if still connected) and forgets it. */
  restoreFocus(): void {
    const opener = this.opener;
    this.opener = null;
    if (opener?.isConnected) opener.focus();
  }

  hostConnected(): void {}
}
