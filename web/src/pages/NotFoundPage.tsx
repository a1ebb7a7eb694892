import { Link } from "react-router-dom";
import { usePageTitle } from "../components/Layout";

export default function NotFoundPage() {
  usePageTitle("Page not found");
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page at this address. <Link to="/">See the channels</Link>.
      </p>
    </section>
  );
}
