// openvidu-browser requires `mime` (35 KB minified with its type tables) only to name the file of
// a LocalRecorder download (`getExtension(blob.type)`). ConsultKit never uses LocalRecorder, so the
// CDN and IIFE builds alias `mime` to this shim, which still answers for the recorder's own types.
const EXTENSIONS = {
  'video/webm': 'webm',
  'audio/webm': 'weba',
  'video/mp4': 'mp4',
  'audio/mp4': 'm4a',
  'video/ogg': 'ogv',
  'audio/ogg': 'ogg',
  'audio/wav': 'wav',
  'video/x-matroska': 'mkv',
};
const mime = {
  getExtension(type) {
    const base = String(type || '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    return EXTENSIONS[base] || null;
  },
};
export default mime;
