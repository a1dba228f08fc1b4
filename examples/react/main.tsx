import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// Registers <consult-room> and <consult-chat>. It must run before React creates the element, so
// React 19 sees the element's properties and sets them as properties (not attributes).
import 'consult-kit/components';
import { App } from './App.js';

const container = document.getElementById('root');
if (!container) throw new Error('#root is missing');
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
