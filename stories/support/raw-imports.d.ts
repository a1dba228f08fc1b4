/** Vite's `?raw` imports: the file's text, untransformed. */
declare module '*.css?raw' {
  const text: string;
  export default text;
}
