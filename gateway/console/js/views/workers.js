// Agents & Workers: the snapshot's `workers` section (pools, hosts) and the workers actions.
import { sectionView } from "./generic.js";

export const render = sectionView("workers", "Agents & Workers", "workers");
