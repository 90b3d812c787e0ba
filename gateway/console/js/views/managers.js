// Managers: scheduler, autoscaler, reaper, retention (the snapshot's `managers` section) and
// their actions (manager.*, schedule.*).
import { sectionView } from "./generic.js";

export const render = sectionView("managers", "Managers", "managers");
