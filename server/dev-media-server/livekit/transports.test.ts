import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutSimulcastSsrcs } from './transports.js';

// Trimmed from Firefox ESR's publisher offer (livekit-client, two simulcast layers).
const FIREFOX_OFFER = [
  'v=0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 109',
  'a=mid:1',
  'a=ssrc:1213281066 cname:{2e93}',
  'm=video 9 UDP/TLS/RTP/SAVPF 120',
  'a=mid:2',
  'a=ssrc:1769043237 cname:{2e93}',
  'a=ssrc:3936728400 cname:{2e93}',
  'a=ssrc-group:FID 1769043237 3936728400',
  'a=rid:q send',
  'a=rid:h send',
  'a=simulcast:send q;h',
  '',
].join('\r\n');

void describe('withoutSimulcastSsrcs', () => {
  void it('drops a=ssrc and a=ssrc-group from simulcast m-sections only', () => {
    const out = withoutSimulcastSsrcs(FIREFOX_OFFER);
    assert.equal(
      out,
      [
        'v=0',
        'm=audio 9 UDP/TLS/RTP/SAVPF 109',
        'a=mid:1',
        'a=ssrc:1213281066 cname:{2e93}',
        'm=video 9 UDP/TLS/RTP/SAVPF 120',
        'a=mid:2',
        'a=rid:q send',
        'a=rid:h send',
        'a=simulcast:send q;h',
        '',
      ].join('\r\n'),
    );
  });

  void it('leaves an offer without simulcast unchanged', () => {
    const sdp = 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=ssrc:1 cname:x\r\n';
    assert.equal(withoutSimulcastSsrcs(sdp), sdp);
  });
});
