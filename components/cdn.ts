/**
 * The CDN / IIFE entry: registers the elements and re-exports the SDK's public API, so one
 * `<script type="module" src=".../consult-kit.js">` gives both. openvidu-browser and the
 * non-English languages load on demand.
 * @packageDocumentation
 */
export * from './index.js';
export * from '../src/index.js';
