// pidusage ships no types; this is the part of its API the bench uses.
declare module 'pidusage' {
  interface Status {
    cpu: number;
    memory: number;
    elapsed: number;
    timestamp: number;
  }
  function pidusage(pid: number): Promise<Status>;
  namespace pidusage {
    function clear(): void;
  }
  export default pidusage;
}
