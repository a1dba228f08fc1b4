/**
 * What the browser offers for Picture-in-Picture, and how to read it. Separate from the controller
 * (picture-in-picture.ts), which loads on demand with the charting window.
 * @packageDocumentation
 */
import type { ConsultChartingMode } from '../events/consult-charting-change.js';

/** The part of `window.documentPictureInPicture` the controller uses. @public */
export interface DocumentPictureInPictureLike {
  requestWindow(options?: { width?: number; height?: number }): Promise<Window>;
}

/**
 * What the browser offers: the Document Picture-in-Picture API (Chromium 116+ on desktop; absent in
 * Safari) and whether `<video>` Picture-in-Picture is enabled (`document.pictureInPictureEnabled`).
 * @public
 */
export interface PictureInPictureSupport {
  documentPictureInPicture: DocumentPictureInPictureLike | undefined;
  videoPictureInPicture: boolean;
}

/** The browser's own support, read when called. @internal */
export function browserPictureInPictureSupport(): PictureInPictureSupport {
  const g = globalThis as { documentPictureInPicture?: DocumentPictureInPictureLike };
  const doc = globalThis.document as (Document & { pictureInPictureEnabled?: boolean }) | undefined;
  return {
    documentPictureInPicture: g.documentPictureInPicture,
    videoPictureInPicture:
      doc?.pictureInPictureEnabled === true &&
      typeof HTMLVideoElement !== 'undefined' &&
      'requestPictureInPicture' in HTMLVideoElement.prototype,
  };
}

/** Which picture-in-picture `support` allows (`document` preferred), or undefined. @internal */
export function availableMode(support: PictureInPictureSupport): ConsultChartingMode | undefined {
  if (support.documentPictureInPicture) return 'document';
  return support.videoPictureInPicture ? 'video' : undefined;
}
