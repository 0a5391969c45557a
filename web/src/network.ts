/**
 * The browser's idea of being online, for the client core's session socket: it stops retrying
 * while offline (and drops a socket the browser may keep half-dead for minutes), then resumes
 * at once when the network is back.
 */
import type { NetworkMonitor } from "../../client-core/session-socket.ts";

export const browserNetwork: NetworkMonitor = {
  online: () => navigator.onLine,
  watch(listener) {
    const online = () => listener(true);
    const offline = () => listener(false);
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    return () => {
      window.removeEventListener("online", online);
      window.removeEventListener("offline", offline);
    };
  },
};
